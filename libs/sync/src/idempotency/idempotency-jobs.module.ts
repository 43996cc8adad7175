// The idempotency sweep's schedule, for the worker process only: the API must never schedule jobs.
// The handler itself (IdempotencySweepJob) is in SyncModule, which both processes import.
import { Module } from '@nestjs/common';
import { IdempotencySweepSchedule } from './idempotency-sweep.schedule';

@Module({
  providers: [IdempotencySweepSchedule],
})
export class IdempotencyJobsModule {}
