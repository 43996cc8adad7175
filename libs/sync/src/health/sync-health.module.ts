// Sync health for operators' monitoring: sources and subscriptions read together for a scrape.
// It must never put a member value, a URL or an error message in what it answers.
import { Module } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { SyncHealthService } from './sync-health.service';

@Module({
  imports: [SubscriptionsModule],
  providers: [SyncHealthService],
  exports: [SyncHealthService],
})
export class SyncHealthModule {}
