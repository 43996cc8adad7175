import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueues } from '@app/common';

/** Every 5 minutes: a parked delivery whose refusal ended is resumed at most this late. */
export const RESUME_PARKED_SWEEP_EVERY_MS = 5 * 60 * 1000;

/** Declares the repeating sweep of parked deliveries; provided by DeliveriesJobsModule, in the worker only. */
@Injectable()
export class ResumeParkedSchedule implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueues) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.schedule('deliveries.resume-parked', { reason: 'sweep' }, RESUME_PARKED_SWEEP_EVERY_MS);
  }
}
