import type { DataCategory } from '@app/common';
import type { FeedChange } from '@app/members';
import { deliveryEventType } from '../deliveries/delivery-message';
import type { WebhookEventType } from '../subscriptions/webhook-event-types';

/** One entry of `GET /api/v1/changes`: a delivery body's fields, plus the categories the change touched. */
export interface ChangeFeedEntry {
  type: WebhookEventType;
  memberId: string;
  version: number;
  occurredAt: string;
  categories: DataCategory[];
  data: Record<string, unknown> | null;
}

/**
 * A change as the feed answers it, typed as a delivery of it would be now: a member gone since
 * (data null) is always `member.deleted`, so `data` is null exactly when the type is a deletion.
 */
export function changeFeedEntryOf(change: FeedChange): ChangeFeedEntry {
  return {
    type: deliveryEventType(change.kind, change.member === null),
    memberId: change.memberId,
    version: change.version,
    occurredAt: change.occurredAt,
    categories: change.categories,
    data: change.member,
  };
}
