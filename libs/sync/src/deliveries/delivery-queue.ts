import { Injectable } from '@nestjs/common';
import { JOBS, JobQueues, type JobPayloads } from '@app/common';
import { sendJobId } from './delivery-message';

/** Completed attempts are kept as long as other jobs (JobQueues), so a delivery can be traced. */
const KEEP_COMPLETED_SECONDS = 7 * 24 * 3600;
/** Resumes of one vendor asked for within this long share one job. */
export const RESUME_BUCKET_MS = 60_000;

/**
 * Queues delivery attempts. Not JobQueues.enqueue: an attempt may start later (the retry
 * schedule), and its job id names the attempt, so queueing one twice (a retried fan-out, or a
 * crash after queueing the next attempt) adds it once.
 */
@Injectable()
export class DeliveryQueue {
  constructor(private readonly jobs: JobQueues) {}

  async sendAttempt(payload: JobPayloads['deliveries.send'], delayMs = 0): Promise<void> {
    await this.jobs.queue('deliveries').add('deliveries.send', payload, {
      jobId: sendJobId(payload.outboxId, payload.subscriptionId, payload.attempt, payload.resumed),
      delay: Math.max(0, delayMs),
      attempts: JOBS['deliveries.send'].attempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
      removeOnFail: false,
    });
  }

  /**
   * Asks for a vendor's parked deliveries to be resumed (after its BAA changed). One job per vendor
   * and minute: a burst of changes resumes once; anything a deduplicated call missed, the sweep takes.
   */
  async resumeParked(vendorId: string, nowMs: number): Promise<void> {
    const bucket = Math.floor(nowMs / RESUME_BUCKET_MS);
    await this.jobs.enqueue(
      'deliveries.resume-parked',
      { vendorId, reason: 'baa_renewed' },
      `resume-parked.${vendorId}.${bucket}`,
    );
  }
}
