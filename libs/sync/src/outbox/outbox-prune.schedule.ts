import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueues } from '@app/common';

/** Hourly: a relayed row is deleted at most an hour after its retention ends. */
export const OUTBOX_PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Declares the repeating prune; provided by OutboxJobsModule, in the worker only. */
@Injectable()
export class OutboxPruneSchedule implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueues) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.schedule('outbox.prune', { reason: 'retention' }, OUTBOX_PRUNE_EVERY_MS);
  }
}
