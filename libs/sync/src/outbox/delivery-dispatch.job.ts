import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, ResourceNotFound, type JobPayloads } from '@app/common';
import { PartnersService } from '@app/identity';
import { deliveryEventType } from '../deliveries/delivery-message';
import { DeliveryQueue } from '../deliveries/delivery-queue';
import { deliveryTargets, type CandidateSubscription } from '../deliveries/delivery-targets';
import { WebhookSubscriptionsService } from '../subscriptions/webhook-subscriptions.service';

/**
 * Fans one member change (one outbox row) out to one `deliveries.send` job per matching active
 * subscription: partners that see the member's organization, subscribed to the event, not the
 * change's own sender. Job ids are `<outboxId>.<subscriptionId>`, so a retried fan-out adds nothing twice.
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
    const eventType = deliveryEventType(payload.kind, false);
    const subscribed = await this.subscriptions.subscribersOf(eventType);
    const candidates: CandidateSubscription[] = [];
    for (const subscription of subscribed) {
      // A partner that no longer exists receives nothing (like a suspended one).
      const partner = await this.partners.get(subscription.partnerId).catch((error: unknown) => {
        if (error instanceof ResourceNotFound) return null;
        throw error;
      });
      candidates.push({
        subscriptionId: subscription.id,
        partnerId: subscription.partnerId,
        partnerActive: partner?.status === 'active',
        partnerOrganizationIds: partner?.organizationIds ?? [],
      });
    }
    const targets = deliveryTargets(payload, candidates);
    for (const target of targets) {
      await this.queue.sendAttempt({
        outboxId: payload.outboxId,
        subscriptionId: target.subscriptionId,
        partnerId: target.partnerId,
        memberId: payload.memberId,
        organizationId: payload.organizationId,
        version: payload.version,
        kind: payload.kind,
        occurredAt: payload.occurredAt,
        categories: payload.categories,
        attempt: 1,
      });
    }
    this.logger.log({ outboxId: payload.outboxId, queued: targets.length }, 'member change fanned out');
    return { queued: targets.length };
  }
}
