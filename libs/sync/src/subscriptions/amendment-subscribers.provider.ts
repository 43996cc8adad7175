import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AmendmentSubscriberRegistry, type AmendmentSubscribers } from '@app/consent';
import { WebhookSubscription } from './webhook-subscription.entity';

/** Tells an accepted amendment which earlier recipients an active member.updated subscription will reach. */
@Injectable()
export class SubscriptionAmendmentSubscribers implements AmendmentSubscribers, OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    // Loaded where ConsentModule is (API, worker); the CLI accepts no amendments.
    @Optional()
    @Inject(AmendmentSubscriberRegistry)
    private readonly registry: AmendmentSubscriberRegistry | null,
  ) {}

  onModuleInit(): void {
    this.registry?.register(this);
  }

  async subscribedTo(partnerIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.em
      .fork()
      .find(
        WebhookSubscription,
        { partnerId: { $in: [...partnerIds] }, status: 'active', events: { $contains: ['member.updated'] } },
        { fields: ['partnerId'] },
      );
    return new Set(rows.map((row) => row.partnerId));
  }
}
