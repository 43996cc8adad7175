import { EntityRepository } from '@mikro-orm/postgresql';
import type { WebhookSubscription } from './webhook-subscription.entity';

/** A position in a partner's subscription list, newest first. */
export interface SubscriptionPosition {
  createdAt: Date;
  id: string;
}

/** Why a partner's own delete disabled a subscription; such rows leave the partner's list. */
export const DELETED_REASON = 'deleted';

/** Every partner-facing method takes the partner id, so no query can reach another partner's rows. */
export class WebhookSubscriptionRepository extends EntityRepository<WebhookSubscription> {
  countActive(partnerId: string): Promise<number> {
    return this.count({ partnerId, status: 'active' });
  }

  /** One page of the partner's subscriptions (active and disabled, not deleted), newest first, after `after`. */
  page(partnerId: string, after: SubscriptionPosition | null, limit: number): Promise<WebhookSubscription[]> {
    const notDeleted = { $or: [{ disabledReason: null }, { disabledReason: { $ne: DELETED_REASON } }] };
    return this.find(
      after
        ? {
            partnerId,
            $and: [
              notDeleted,
              {
                $or: [
                  { createdAt: { $lt: after.createdAt } },
                  { createdAt: after.createdAt, id: { $lt: after.id } },
                ],
              },
            ],
          }
        : { partnerId, ...notDeleted },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit },
    );
  }

  /** Disables an active or disabled-but-not-deleted subscription; false when there was none to change. */
  async disable(
    partnerId: string,
    id: string,
    change: { disabledAt: Date; disabledReason: string; disabledBy: string },
  ): Promise<boolean> {
    const changed = await this.nativeUpdate(
      { partnerId, id, $or: [{ disabledReason: null }, { disabledReason: { $ne: DELETED_REASON } }] },
      { status: 'disabled', ...change },
    );
    return changed === 1;
  }

  /** Active subscriptions to an event type, across partners (what a delivery fans out to). */
  subscribedTo(eventType: string): Promise<WebhookSubscription[]> {
    return this.find({ status: 'active', events: { $contains: [eventType] } }, { orderBy: { id: 'asc' } });
  }
}
