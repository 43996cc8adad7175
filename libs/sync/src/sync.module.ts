// Synchronization with the membership system and partners: inbound signed webhooks, idempotency,
// conflict policies, polling, outbound deliveries. It must never read another lib's tables.
import { Module } from '@nestjs/common';
import { WebhooksModule } from './webhooks/webhooks.module';
import { IdempotencyModule } from './idempotency/idempotency.module';

@Module({
  imports: [WebhooksModule, IdempotencyModule],
  controllers: [],
  providers: [],
  exports: [],
})
export class SyncModule {}
