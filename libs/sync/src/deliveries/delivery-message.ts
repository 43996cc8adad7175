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

/** The BullMQ job id of one attempt: the first keeps the bare delivery id, later ones add their number. */
export function sendJobId(outboxId: string, subscriptionId: string, attempt: number): string {
  const base = deliveryWebhookId(outboxId, subscriptionId);
  return attempt <= 1 ? base : `${base}.a${attempt}`;
}

export interface DeliveryBody {
  type: WebhookEventType;
  memberId: string;
  version: number;
  occurredAt: string;
  /** The member projected for the subscriber; null when the member is deleted. */
  data: Record<string, unknown> | null;
}

/** The exact bytes sent and signed: serialized once, in DESIGN §4's field order. */
export function serializeDeliveryBody(body: DeliveryBody): Buffer {
  return Buffer.from(
    JSON.stringify({
      type: body.type,
      memberId: body.memberId,
      version: body.version,
      occurredAt: body.occurredAt,
      data: body.data,
    }),
    'utf8',
  );
}
