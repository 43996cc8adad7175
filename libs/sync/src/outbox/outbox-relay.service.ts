import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock, JOBS, JobQueues } from '@app/common';
import { deliveryJobOf, type OutboxEntry } from './outbox-entry';
import { DeliveryQueueUnavailable } from './outbox.errors';
import { OutboxStore } from './outbox.store';

/** Rows per transaction: one Redis pipeline of adds, one update. */
export const RELAY_BATCH_SIZE = 500;
/** How long a pass waits for the first connection to Redis before it gives up (rows stay). */
export const RELAY_CONNECT_TIMEOUT_MS = 2_000;
/** How long a batch's adds may take before the pass gives up (rows stay; a later add of the same jobId is a no-op). */
export const RELAY_ENQUEUE_TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // Promise.race also observes a late rejection of `promise`, so nothing goes unhandled.
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeliveryQueueUnavailable('timed_out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Moves outbox rows into the BullMQ `deliveries` queue, oldest first: in one transaction it locks
 * a batch (`for update skip locked`, so relays in several workers share the rows), adds one job
 * per row with jobId = the row's id, and marks the rows relayed. Redis down: the adds fail, the
 * transaction rolls back, the rows stay for the next pass. A crash between the adds and the commit
 * relays the rows again, and BullMQ ignores an add whose jobId it already holds: each change is
 * queued once.
 */
@Injectable()
export class OutboxRelay {
  constructor(
    private readonly em: EntityManager,
    private readonly store: OutboxStore,
    private readonly jobs: JobQueues,
    private readonly clock: Clock,
  ) {}

  /**
   * Relays batch after batch until fewer than a batch are left or `maxBatches` ran; answers how
   * many rows went. Throws (DeliveryQueueUnavailable, or the database's error) when a batch fails.
   */
  async relayPending(options: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
    const batchSize = options.batchSize ?? RELAY_BATCH_SIZE;
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    let relayed = 0;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const count = await this.relayBatch(batchSize);
      relayed += count;
      if (count < batchSize) break;
    }
    return relayed;
  }

  /** One batch in one transaction; answers how many rows it relayed. */
  async relayBatch(limit: number): Promise<number> {
    let locked: string[] = [];
    try {
      return await this.em.fork().transactional(async (em) => {
        const entries = await this.store.lockUnrelayed(em, limit);
        if (entries.length === 0) return 0;
        locked = entries.map((entry) => entry.id);
        await this.enqueue(entries);
        await this.store.markRelayed(em, locked, this.clock.now());
        return entries.length;
      });
    } catch (error) {
      // Bookkeeping for operators only; the relay's own error is the one that matters and is rethrown.
      if (locked.length > 0) await this.store.countFailedAttempt(locked).catch(() => undefined);
      throw error;
    }
  }

  private async enqueue(entries: readonly OutboxEntry[]): Promise<void> {
    const queue = this.jobs.queue(JOBS['deliveries.dispatch'].queue);
    const client = await withTimeout(queue.getBackend().client, RELAY_CONNECT_TIMEOUT_MS);
    // While ioredis reconnects it would hold the adds in its offline queue for as long as Redis is
    // down; refusing at once keeps the pass short and the rows free for the next one.
    if (client.status !== 'ready') throw new DeliveryQueueUnavailable('not_connected');
    await withTimeout(
      Promise.all(
        entries.map((entry) => this.jobs.enqueue('deliveries.dispatch', deliveryJobOf(entry), entry.id)),
      ),
      RELAY_ENQUEUE_TIMEOUT_MS,
    );
  }
}
