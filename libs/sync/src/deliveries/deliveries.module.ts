// Outbound deliveries of member changes to partners' webhook subscriptions: the fan-out, one job per
// attempt, parking while a BAA lapses, and the dead letters. It must never put a member value in a job,
// a log, a parked row or a listing.
import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { MembersModule } from '@app/members';
import { VendorsModule } from '@app/vendors';
import { DeliveryDispatchJob } from '../outbox/delivery-dispatch.job';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';
import { DeliveryOutcomes } from './delivery-outcomes';
import { DeliveryQueue } from './delivery-queue';
import { DeliverySendJob } from './delivery-send.job';
import { FailingEndpoints } from './failing-endpoints';
import { ParkedDeliveriesListener } from './parked-deliveries.listener';
import { ParkedDeliveryStore } from './parked-delivery.store';
import { ResumeParkedJob } from './resume-parked.job';

@Module({
  imports: [IdentityModule, MembersModule, VendorsModule, SubscriptionsModule],
  controllers: [DeadLettersController],
  providers: [
    DeliveryQueue,
    DeliveryDispatchJob,
    DeliverySendJob,
    DeadLettersService,
    FailingEndpoints,
    ParkedDeliveryStore,
    ResumeParkedJob,
    ParkedDeliveriesListener,
    DeliveryOutcomes,
  ],
  exports: [DeadLettersService, DeliveryOutcomes],
})
export class DeliveriesModule {}
