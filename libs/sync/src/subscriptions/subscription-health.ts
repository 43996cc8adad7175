import type { WebhookPostResult } from './safe-webhook.client';
import type { WebhookSubscriptionStatus } from './webhook-subscription.entity';

// Crockford base32, the alphabet of every id of the service (outbox ids carry their millisecond).
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const OUTBOX_TIME_CHARS = 10;

/**
 * A `deliveries.send` job id as `sendJobId` writes it: `<outboxId>.<subscriptionId>` for the first
 * attempt, `.r<n>` when resumed from parking, `.a<n>` appended for later attempts. Anything else on
 * the queue (a fan-out, a resume) is not a send.
 */
const SEND_JOB_ID =
  /^(obx_[0-9A-HJKMNP-TV-Z]{26})\.(sub_[0-9A-HJKMNP-TV-Z]{26})(?:\.r\d{1,4})?(?:\.a(\d{1,4}))?$/;

export interface SendJobRef {
  outboxId: string;
  subscriptionId: string;
  attempt: number;
}

/** The change and subscription a send job's id names, or null for any other job of the queue. */
export function parseSendJobId(jobId: string): SendJobRef | null {
  const match = SEND_JOB_ID.exec(jobId);
  if (!match) return null;
  return { outboxId: match[1], subscriptionId: match[2], attempt: match[3] ? Number(match[3]) : 1 };
}

/** When the change was committed here: an outbox id's first ten characters are its millisecond (ULID layout). */
export function outboxTimeMs(outboxId: string): number {
  let ms = 0;
  for (const char of outboxId.slice(4, 4 + OUTBOX_TIME_CHARS)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

/** A subscription's share of the deliveries queue: what waits for it and what died. */
export interface DeliveryTally {
  pending: number;
  /** The commit time of the oldest change still waiting to reach it (ms), null when none waits. */
  oldestPendingMs: number | null;
  deadLetters: number;
}

/**
 * Counts the deliveries queue per subscription from job ids alone (no job is read): `pendingIds`
 * are waiting, delayed, prioritized or running attempts; `failedIds` are dead letters. A change
 * waits once per subscription, however many attempt ids it went through.
 */
export function tallyDeliveryJobs(
  pendingIds: readonly string[],
  failedIds: readonly string[],
): Map<string, DeliveryTally> {
  const tallies = new Map<string, DeliveryTally>();
  const tallyOf = (subscriptionId: string): DeliveryTally => {
    let tally = tallies.get(subscriptionId);
    if (!tally) {
      tally = { pending: 0, oldestPendingMs: null, deadLetters: 0 };
      tallies.set(subscriptionId, tally);
    }
    return tally;
  };
  const seen = new Set<string>();
  for (const id of pendingIds) {
    const ref = parseSendJobId(id);
    if (!ref) continue;
    const change = `${ref.outboxId}.${ref.subscriptionId}`;
    if (seen.has(change)) continue;
    seen.add(change);
    const tally = tallyOf(ref.subscriptionId);
    tally.pending += 1;
    const at = outboxTimeMs(ref.outboxId);
    if (tally.oldestPendingMs === null || at < tally.oldestPendingMs) tally.oldestPendingMs = at;
  }
  for (const id of failedIds) {
    const ref = parseSendJobId(id);
    if (ref) tallyOf(ref.subscriptionId).deadLetters += 1;
  }
  return tallies;
}

/** Whole seconds since the oldest undelivered change was committed; 0 when nothing waits (or clocks disagree). */
export function deliveryLagSeconds(nowMs: number, oldestPendingMs: number | null): number {
  if (oldestPendingMs === null) return 0;
  return Math.max(0, Math.floor((nowMs - oldestPendingMs) / 1000));
}

/** An attempt counts as delivered when the endpoint answered 2xx; anything else is a failure of the endpoint. */
export function deliveredBy(result: WebhookPostResult): boolean {
  return result.outcome === 'response' && result.status >= 200 && result.status < 300;
}

/** What the delivery worker recorded about a subscription's endpoint (webhook_subscription_health). */
export interface EndpointRecord {
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  consecutiveFailures: number;
  failingSince: Date | null;
}

/** A subscription's health as the admin status route, the partner's list and /metrics show it. */
export interface SubscriptionHealth {
  status: WebhookSubscriptionStatus;
  /** Why deliveries stopped (`deleted`, `gone`, `failing`); null while active. */
  disabledReason: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lagSeconds: number;
  pendingDeliveries: number;
  deadLetters: number;
  consecutiveFailures: number;
  failingSince: string | null;
}

/** Puts the recorded endpoint facts and the queue's tally together at `nowMs`. */
export function subscriptionHealthOf(
  subscription: { status: WebhookSubscriptionStatus; disabledReason: string | null } & EndpointRecord,
  tally: DeliveryTally | undefined,
  nowMs: number,
): SubscriptionHealth {
  return {
    status: subscription.status,
    disabledReason: subscription.status === 'active' ? null : (subscription.disabledReason ?? 'unknown'),
    lastSuccessAt: subscription.lastSuccessAt?.toISOString() ?? null,
    lastFailureAt: subscription.lastFailureAt?.toISOString() ?? null,
    lagSeconds: deliveryLagSeconds(nowMs, tally?.oldestPendingMs ?? null),
    pendingDeliveries: tally?.pending ?? 0,
    deadLetters: tally?.deadLetters ?? 0,
    consecutiveFailures: subscription.consecutiveFailures,
    failingSince: subscription.failingSince?.toISOString() ?? null,
  };
}
