import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AuditService, auditActor } from '@app/audit';
import { JobQueues, ResourceNotFound, type Actor, type JobPayloads } from '@app/common';
import type { DeadLetterDto } from './dead-letter.dto';
import { lastOutcomeOf } from './delivery.errors';

/** The most dead letters one listing or bulk replay reads. */
export const DEAD_LETTER_PAGE = 1000;

/**
 * Dead letters are the `deliveries.send` jobs in BullMQ's failed set (their last attempt failed).
 * Listed in ids, attempt counts and outcomes (never a body or an error message); replayed singly or
 * in bulk, each replay audited. A replay is one more attempt, with the same webhook-id.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly jobs: JobQueues,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<{ data: DeadLetterDto[] }> {
    return { data: (await this.failedSends()).map(deadLetterOf) };
  }

  async replay(actor: Actor, id: string): Promise<{ replayed: number }> {
    const job = await this.jobs.queue('deliveries').getJob(id);
    if (!job || job.name !== 'deliveries.send' || !(await job.isFailed()))
      throw new ResourceNotFound('dead letter');
    await job.retry('failed');
    await this.audited(actor, [id]);
    return { replayed: 1 };
  }

  async replayMany(actor: Actor, ids?: readonly string[]): Promise<{ replayed: number }> {
    const wanted = ids ? new Set(ids) : null;
    const jobs = (await this.failedSends()).filter((job) => !wanted || wanted.has(job.id ?? ''));
    const replayed: string[] = [];
    for (const job of jobs) {
      await job.retry('failed');
      replayed.push(job.id!);
    }
    await this.audited(actor, replayed);
    return { replayed: replayed.length };
  }

  private async failedSends(): Promise<Job<JobPayloads['deliveries.send']>[]> {
    const failed = (await this.jobs.queue('deliveries').getFailed(0, DEAD_LETTER_PAGE - 1)) as Job[];
    return failed.filter((job) => job.name === 'deliveries.send') as Job<JobPayloads['deliveries.send']>[];
  }

  private async audited(actor: Actor, ids: string[]): Promise<void> {
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'delivery.replay',
      resourceType: 'delivery',
      resourceIds: ids,
      outcome: 'success',
      statusCode: 202,
    });
  }
}

function deadLetterOf(job: Job<JobPayloads['deliveries.send']>): DeadLetterDto {
  return {
    id: job.id!,
    outboxId: job.data.outboxId,
    subscriptionId: job.data.subscriptionId,
    partnerId: job.data.partnerId,
    memberId: job.data.memberId,
    attempts: job.data.attempt,
    lastOutcome: lastOutcomeOf(job.failedReason),
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}
