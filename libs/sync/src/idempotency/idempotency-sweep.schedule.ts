import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueues } from '@app/common';

/** Hourly: a record is then deleted at most an hour after its retention ends. */
export const IDEMPOTENCY_SWEEP_EVERY_MS = 60 * 60 * 1000;

/** Declares the repeating sweep; provided by IdempotencyJobsModule, in the worker only. */
@Injectable()
export class IdempotencySweepSchedule implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueues) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.schedule('idempotency.sweep', { reason: 'retention' }, IDEMPOTENCY_SWEEP_EVERY_MS);
  }
}
