import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock, JobHandler, type JobPayloads } from '@app/common';
import { OutboxStore } from './outbox.store';

/**
 * How long a relayed row is kept: as long as its completed job stays in BullMQ (JobQueues keeps
 * completed jobs 7 days), so an operator can trace a delivery job back to its change.
 */
export const OUTBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_BATCH = 5000;

/** Deletes relayed outbox rows past their retention; never an unrelayed one. */
@Injectable()
export class OutboxPruneJob {
  private readonly logger = new Logger('OutboxPrune');

  constructor(
    private readonly em: EntityManager,
    private readonly store: OutboxStore,
    private readonly clock: Clock,
  ) {}

  // No try/catch: a failed prune throws, so BullMQ retries it.
  @JobHandler('outbox.prune')
  async run(_payload: JobPayloads['outbox.prune']): Promise<{ rows: number }> {
    const before = new Date(this.clock.nowMs() - OUTBOX_RETENTION_MS);
    const em = this.em.fork();
    let rows = 0;
    for (;;) {
      const deleted = await this.store.deleteRelayedBefore(em, before, PRUNE_BATCH);
      rows += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    this.logger.log({ rows }, 'relayed outbox rows pruned');
    return { rows };
  }
}
