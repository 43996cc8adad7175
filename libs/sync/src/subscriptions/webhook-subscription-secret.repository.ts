import { QueryOrder } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';
import type { WebhookSubscriptionSecret } from './webhook-subscription-secret.entity';

/** Every method takes the partner and subscription ids, so no query reaches another's secrets. */
export class WebhookSubscriptionSecretRepository extends EntityRepository<WebhookSubscriptionSecret> {
  /** The secrets that sign at `now`: the current one first, then any still in its overlap. */
  active(partnerId: string, subscriptionId: string, now: Date): Promise<WebhookSubscriptionSecret[]> {
    return this.find(
      { partnerId, subscriptionId, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
      // The current secret (no expiry) first, whatever the clock said when each was made.
      { orderBy: { expiresAt: QueryOrder.DESC_NULLS_FIRST, createdAt: 'desc', id: 'desc' } },
    );
  }

  /**
   * Starts a rotation: the current secret keeps signing until `overlapEnds`; one still in an
   * earlier overlap ends at `now`, so at most two secrets sign at once.
   */
  async retire(partnerId: string, subscriptionId: string, now: Date, overlapEnds: Date): Promise<void> {
    await this.nativeUpdate({ partnerId, subscriptionId, expiresAt: { $gt: now } }, { expiresAt: now });
    await this.nativeUpdate({ partnerId, subscriptionId, expiresAt: null }, { expiresAt: overlapEnds });
  }
}
