import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueues } from '@app/common';

/** Daily: warnings are about days, and the gate itself computes expiry from the dates at each read. */
export const BAA_EXPIRY_CHECK_EVERY_MS = 24 * 60 * 60 * 1000;

/** Declares the repeating expiry check; provided by VendorsJobsModule, in the worker only. */
@Injectable()
export class BaaExpiryCheckSchedule implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueues) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.schedule('vendors.baa-expiry-check', { reason: 'daily' }, BAA_EXPIRY_CHECK_EVERY_MS);
  }
}
