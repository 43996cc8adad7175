import { Injectable } from '@nestjs/common';
import { JOBS, JobQueues } from '@app/common';

/**
 * One BullMQ job scheduler per source (`poll-<sourceId>`, payload `{sourceId}` only) repeating
 * `sync.poll` every pollIntervalSeconds; manual polls and backfills are plain jobs on the same queue.
 * BullMQ ids may not contain ':', hence the dashes.
 */
@Injectable()
export class SourceSchedules {
  constructor(private readonly jobs: JobQueues) {}

  static schedulerId(sourceId: string): string {
    return `poll-${sourceId}`;
  }

  static backfillJobId(sourceId: string, startedAt: Date): string {
    return `backfill-${sourceId}-${startedAt.getTime()}`;
  }

  async upsert(sourceId: string, pollIntervalSeconds: number): Promise<void> {
    await this.jobs.queue('polling').upsertJobScheduler(
      SourceSchedules.schedulerId(sourceId),
      { every: pollIntervalSeconds * 1000 },
      {
        name: 'sync.poll',
        data: { sourceId },
        opts: {
          attempts: JOBS['sync.poll'].attempts,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: 100,
          removeOnFail: 1000,
        },
      },
    );
  }

  async pollNow(sourceId: string, jobId: string): Promise<void> {
    await this.jobs.enqueue('sync.poll', { sourceId }, jobId);
  }

  async backfill(sourceId: string, startedAt: Date): Promise<void> {
    await this.jobs.enqueue(
      'sync.backfill',
      { sourceId },
      SourceSchedules.backfillJobId(sourceId, startedAt),
    );
  }

  /** The backfill job's progress (0-100) as the dashboard shows it, null when the job is gone. */
  async backfillProgress(sourceId: string, startedAt: Date): Promise<number | null> {
    const job = await this.jobs.queue('polling').getJob(SourceSchedules.backfillJobId(sourceId, startedAt));
    return job && typeof job.progress === 'number' ? job.progress : null;
  }

  /** Poll and backfill jobs of this source that failed for good (BullMQ keeps the last 1,000). */
  async deadLetters(sourceId: string): Promise<number> {
    const failed = await this.jobs.queue('polling').getFailed(0, 999);
    return failed.filter(
      (job) => (job.data as { sourceId?: string } | undefined)?.sourceId === sourceId && job.finishedOn,
    ).length;
  }
}
