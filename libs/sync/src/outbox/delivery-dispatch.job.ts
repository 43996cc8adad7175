import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, ResourceNotFound, type JobPayloads } from '@app/common';
import { PartnersService } from '@app/identity';
import { deliveryEventType } from '../deliveries/delivery-message';
import { DeliveryQueue } from '../deliveries/delivery-queue';
import { deliveryTargets, type CandidateSubscription } from '../deliveries/delivery-targets';
import { WebhookSubscriptionsService } from '../subscriptions/webhook-subscriptions.service';

/**
 * Fans one outbox row out to one `deliveries.send` job per matching active subscription. A member
 * change goes to partners that see the member's organization, subscribed to the event, not the
 * change's own sender. A consent revocation notice goes to the revoked partner's own subscriptions
 * to `consent.revoked`, and to no other partner. Job ids are `<outboxId>.<subscriptionId>`, so a
 * retried fan-out adds nothing twice.
 */
@Injectable()
export class DeliveryDispatchJob {
  private readonly logger = new Logger('Deliveries');

  constructor(
    private readonly subscriptions: WebhookSubscriptionsService,
    private readonly partners: PartnersService,
    private readonly queue: DeliveryQueue,
  ) {}

  @JobHandler('deliveries.dispatch')
  async run(payload: JobPayloads['deliveries.dispatch']): Promise<{ queued: number }> {
    const notice = payload.topic === 'consent.revoked' ? payload : null;
    const eventType =
      payload.topic === 'consent.revoked' ? payload.topic : deliveryEventType(payload.kind, false);
    const subscribed = (await this.subscriptions.subscribersOf(eventType)).filter(
      (subscription) => !notice || subscription.partnerId === notice.partnerId,
    );
    const candidates: CandidateSubscription[] = [];
    for (const subscription of subscribed) {
      // A partner that no longer exists receives nothing; a suspended one has its deliveries parked.
      const partner = await this.partners.get(subscription.partnerId).catch((error: unknown) => {
        if (error instanceof ResourceNotFound) return null;
        throw error;
      });
      candidates.push({
        subscriptionId: subscription.id,
        partnerId: subscription.partnerId,
        partnerStatus: partner?.status ?? null,
        partnerOrganizationIds: partner?.organizationIds ?? [],
      });
    }
    const targets = deliveryTargets(payload, candidates);
    for (const target of targets) {
      const ids = {
        outboxId: payload.outboxId,
        subscriptionId: target.subscriptionId,
        partnerId: target.partnerId,
        memberId: payload.memberId,
        organizationId: payload.organizationId,
        occurredAt: payload.occurredAt,
        attempt: 1,
      };
      await this.queue.sendAttempt(
        payload.topic === 'consent.revoked'
          ? {
              ...ids,
              topic: 'consent.revoked',
              consentId: payload.consentId,
              purpose: payload.purpose,
              categories: payload.categories,
            }
          : { ...ids, version: payload.version, kind: payload.kind, categories: payload.categories },
      );
    }
    this.logger.log({ outboxId: payload.outboxId, queued: targets.length }, 'outbox row fanned out');
    return { queued: targets.length };
  }
}
