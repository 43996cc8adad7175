import { DATA_CATEGORIES, type DataCategory } from '@app/common';
import { groupName } from '@app/members';
import type { WebhookEventType } from '../subscriptions/webhook-event-types';

export type MemberChangeKind = 'created' | 'updated' | 'deleted';

/** The event type a member change is delivered as; a member gone by delivery time is always `member.deleted`. */
export function deliveryEventType(kind: MemberChangeKind, memberGone: boolean): WebhookEventType {
  if (memberGone || kind === 'deleted') return 'member.deleted';
  return kind === 'created' ? 'member.created' : 'member.updated';
}

/**
 * The `webhook-id` of one change to one subscription: the same on every attempt and replay, so the
 * receiver deduplicates. Opaque ids only. (BullMQ refuses `:` in a custom job id, hence the dot.)
 */
export function deliveryWebhookId(outboxId: string, subscriptionId: string): string {
  return `${outboxId}.${subscriptionId}`;
}

/**
 * The BullMQ job id of one attempt: the first keeps the bare delivery id, later ones add their
 * number. A delivery resumed from parking starts its attempts again under `.r<n>` (n-th resume):
 * the ids of its first life are still held by BullMQ, which would drop a re-add under them.
 */
export function sendJobId(outboxId: string, subscriptionId: string, attempt: number, resumed = 0): string {
  const base = deliveryWebhookId(outboxId, subscriptionId) + (resumed > 0 ? `.r${resumed}` : '');
  return attempt <= 1 ? base : `${base}.a${attempt}`;
}

export interface DeliveryBody {
  type: WebhookEventType;
  memberId: string;
  /** The source's own id for the member, sent to that source only: it may never have learnt our id. */
  sourceRef?: string;
  /** The member's version; null on a consent revocation notice (the member did not change). */
  version: number | null;
  occurredAt: string;
  /**
   * The member projected for the subscriber; null when the member is deleted. A revocation notice
   * carries the consent instead (its id, purpose and categories: never a member value).
   */
  data: Record<string, unknown> | null;
}

/** The `data` of a consent.revoked notice. */
export function revocationNoticeData(notice: {
  consentId: string;
  purpose: string;
  categories: readonly DataCategory[];
}): Record<string, unknown> {
  return { consentId: notice.consentId, purpose: notice.purpose, categories: [...notice.categories] };
}

/**
 * What the member's own source receives of a change: only the groups the change touched, so a
 * delivery never overwrites its newer values of groups we did not change. Without the change's
 * categories (a job queued before they were carried) the whole projection goes, as before.
 */
export function changedGroupsOnly(
  document: Record<string, unknown>,
  changed: readonly DataCategory[] | undefined,
): Record<string, unknown> {
  if (changed === undefined) return document;
  const dropped = new Set(DATA_CATEGORIES.filter((c) => !changed.includes(c)).map(groupName));
  return Object.fromEntries(Object.entries(document).filter(([key]) => !dropped.has(key)));
}

/** The exact bytes sent and signed: serialized once, in DESIGN §4's field order. */
export function serializeDeliveryBody(body: DeliveryBody): Buffer {
  return Buffer.from(
    JSON.stringify({
      type: body.type,
      memberId: body.memberId,
      ...(body.sourceRef === undefined ? {} : { sourceRef: body.sourceRef }),
      version: body.version,
      occurredAt: body.occurredAt,
      data: body.data,
    }),
    'utf8',
  );
}
