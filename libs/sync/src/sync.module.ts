// Synchronization with the membership system and partners: inbound signed webhooks, idempotency,
// conflict policies, polling, outbound deliveries. It must never read another lib's tables.
import { Module } from '@nestjs/common';
import { WebhooksModule } from './webhooks/webhooks.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { OutboxModule } from './outbox/outbox.module';
import { IngestModule } from './ingest/ingest.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { PollingModule } from './polling/polling.module';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { ChangesModule } from './changes/changes.module';

@Module({
  imports: [
    WebhooksModule,
    IdempotencyModule,
    OutboxModule,
    IngestModule,
    SubscriptionsModule,
    DeliveriesModule,
    PollingModule,
    ChangesModule,
  ],
  controllers: [],
  providers: [],
  exports: [],
})
export class SyncModule {}
