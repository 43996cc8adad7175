// Synchronization with the membership system and partners: inbound signed webhooks, idempotency,
// conflict policies, polling, outbound deliveries. It must never read another lib's tables.
import { Module } from '@nestjs/common';

@Module({})
export class SyncModule {}
