import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueues } from '@app/common';

/** Hourly: a request is alerted at most an hour after it falls due. */
export const RIGHTS_OVERDUE_CHECK_EVERY_MS = 60 * 60 * 1000;

/** Declares the repeating overdue check; provided by RightsJobsModule, in the worker only. */
@Injectable()
export class RightsOverdueSchedule implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueues) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.schedule('rights.overdue-check', { reason: 'interval' }, RIGHTS_OVERDUE_CHECK_EVERY_MS);
  }
}
