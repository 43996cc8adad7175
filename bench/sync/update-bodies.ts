import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../libs/crypto/src/standard-webhooks';
import type { UpdateChanges } from './sync-load-tasks';

/**
 * Synthetic changes for the bench's updates, from the seeded generator's members: a phone and a
 * plan (contact and coverage, both the membership system's fields, so a membership_system source's
 * newer change applies rather than conflicts).
 */
export function updateChanges(
  members: Iterable<{ contact: { phone: string }; coverage: { planCode: string; coverageTier: string } }>,
): UpdateChanges[] {
  return [...members].map((m) => ({
    contact: { phone: m.contact.phone },
    coverage: { planCode: m.coverage.planCode, coverageTier: m.coverage.coverageTier },
  }));
}

/** The n-th of a run's updates: member and changes taken round-robin, so a member is never changed twice at once. */
export function nthUpdate(n: number, ids: readonly string[], changes: readonly UpdateChanges[], at: Date) {
  return {
    memberId: ids[n % ids.length],
    body: {
      eventId: `evt-bench-${randomUUID()}`,
      occurredAt: at.toISOString(),
      changes: changes[(n + 1) % changes.length],
    },
  };
}

/** Batch k's members: consecutive slices of `size`, round-robin, so neighbouring batches never share a member. */
export function batchSlice(k: number, ids: readonly string[], size: number): string[] {
  const slices = Math.max(1, Math.floor(ids.length / size));
  const from = (k % slices) * size;
  return ids.slice(from, from + size);
}

/** Standard Webhooks headers over exactly `text` (a fresh message id, the current time). */
export function signedHeaders(secret: string, text: string, nowMs: number): Record<string, string> {
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, text),
  };
}
