import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  AppConfig,
  Clock,
  isRetryableTransactionError,
  JobQueues,
  MAX_TRANSACTION_ATTEMPTS,
  retryPause,
  runPrepared,
} from '@app/common';
import { AfterCommit } from './after-commit';
import type { AuditRecord } from './audit-record';

export type { AuditRecord } from './audit-record';
import {
  APPEND_EVENTS,
  appendValues,
  chainEvents,
  LOCK_CHAIN_HEAD,
  type ChainHead,
} from './chain/audit-append';

interface Pending {
  event: AuditRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_GROUP = 500;
/** After another writer moved the head under us, this many groups take the lock first instead of guessing. */
const LOCKED_AFTER_MISS = 8;

interface PgResult<R> {
  rows: R[];
}

/** The pg connection behind MikroORM's pool (see `runPrepared`). */
interface PgConnection {
  query<R>(config: { name: string; text: string; values: readonly unknown[] }): Promise<PgResult<R>>;
  query(text: string): Promise<PgResult<unknown> | Array<PgResult<unknown>>>;
}

interface PoolClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

type HeadRow = { seq: string; hash: Buffer };

/**
 * Appends events to the hash-chained audit trail. The chain head row is locked inside the
 * writing transaction, so concurrent writers in any number of processes get consecutive
 * sequence numbers in commit order: no fork, no gap (a rolled-back write gives its numbers back).
 * Standalone events (reads, refusals) are group-committed: concurrent ones share one
 * transaction, and each caller is answered only after that transaction has committed.
 * A group is one prepared statement (rows as `unnest` arrays, head moved in the same statement):
 * while this process is the only writer it is one round trip, conditioned on the head it last
 * wrote; otherwise BEGIN + lock the head, the statement, COMMIT (docs/audit.md).
 * Redis is never part of the write: the checkpoint job is asked for after the commit, best effort.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly enqueuing = new Set<Promise<void>>();
  /** The head this process last wrote, a guess only: the append statement checks it under the row lock. */
  private lastHead: ChainHead | null = null;
  private lockedGroups = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: JobQueues,
    private readonly afterCommit: AfterCommit,
  ) {}

  /**
   * Appends inside the caller's transaction (or a new one when `em` has none), so it commits with
   * the change it describes; the request is marked audited only when that transaction commits.
   */
  async record(em: EntityManager, event: AuditRecord): Promise<void> {
    // The caller's transaction may still roll back: the next group re-reads the head under its lock.
    this.lastHead = null;
    if (em.isInTransaction()) {
      const seqs = await this.appendLocked(em, [event]);
      this.afterCommit.run(em, () => this.committed([event], seqs));
      return;
    }
    const seqs = await em.transactional((tx) => this.appendLocked(tx, [event]));
    this.committed([event], seqs);
  }

  /** Appends an event that describes no change (a refusal, a read, a failure); resolves once it is durable. */
  recordStandalone(event: AuditRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      this.flushSoon();
    });
  }

  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      if (this.pending.length > 0) this.flushSoon();
    });
  }

  private async flush(): Promise<void> {
    const group = this.pending.splice(0, MAX_GROUP);
    const events = group.map((p) => p.event);
    let seqs: number[];
    try {
      seqs = await this.appendGroupRetried(events);
    } catch (error) {
      this.lastHead = null;
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      // One bad event must not fail its neighbours: retry each on its own. Only a failed
      // transaction gets here, so no event of the group was written.
      for (const item of group) {
        await this.record(this.em.fork(), item.event).then(item.resolve, item.reject);
      }
      return;
    }
    this.committed(events, seqs);
    group.forEach((p) => p.resolve());
  }

  /**
   * A group PostgreSQL aborted to break a lock cycle (other processes' transactions queue on the
   * chain head while holding member rows) wrote nothing: it is appended again, a few times at most.
   */
  private async appendGroupRetried(events: AuditRecord[], attempt = 1): Promise<number[]> {
    try {
      return await this.appendGroup(events);
    } catch (error) {
      if (!isRetryableTransactionError(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
      await retryPause(attempt + 1);
      return this.appendGroupRetried(events, attempt + 1);
    }
  }

  /** After the commit: marks the requests audited and, past every N events, asks for a checkpoint. */
  private committed(events: AuditRecord[], seqs: number[]): void {
    for (const event of events) if (event.auditState) event.auditState.audited = true;
    const every = this.config.audit.checkpointEveryEvents;
    const crossed = seqs.find((seq) => seq % every === 0);
    if (crossed === undefined) return;
    // Best effort and not awaited: a Redis outage must neither fail nor slow an audited request.
    // A later count-triggered checkpoint or the periodic schedule covers a missed one.
    const enqueued = Promise.resolve()
      .then(() => this.jobs.enqueue('audit.checkpoint', { reason: 'event_count' }, `checkpoint-${crossed}`))
      .catch((error: unknown) =>
        this.logger.warn(
          { seq: crossed, error: error instanceof Error ? error.name : 'unknown' },
          'audit checkpoint job not enqueued; the periodic checkpoint will cover it',
        ),
      )
      .finally(() => this.enqueuing.delete(enqueued));
    this.enqueuing.add(enqueued);
  }

  /** A short-lived process (the CLI) lets its last checkpoint requests reach Redis before the queues close. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.enqueuing.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.enqueuing]),
      new Promise((resolve) => (timer = setTimeout(resolve, 2000))),
    ]);
    clearTimeout(timer);
  }

  /** Appends under the chain-head lock inside `tx`'s transaction: two round trips on its connection. */
  private async appendLocked(tx: EntityManager, events: AuditRecord[]): Promise<number[]> {
    const [locked] = await runPrepared<HeadRow>(tx, LOCK_CHAIN_HEAD, []);
    const head = { seq: Number(locked.seq), hash: locked.hash };
    const chained = chainEvents(head, events, () => this.clock.now());
    const [{ appended }] = await runPrepared<{ appended: number }>(
      tx,
      APPEND_EVENTS,
      appendValues(chained.rows, head, chained.head),
    );
    // Impossible while the lock is held; a guard, so a broken assumption fails loudly and writes nothing.
    if (appended !== 1) throw new Error('the audit chain head moved under its lock');
    return chained.rows.map((r) => r.seq);
  }

  /**
   * A group in a transaction of its own, on a pooled connection without MikroORM's unit of work.
   * First, when this process wrote the head last, one autocommitted statement conditioned on that
   * head; if another writer moved it (0 appended, nothing written), BEGIN + lock the head in one
   * round trip, the same statement on the locked head, COMMIT.
   */
  private async appendGroup(events: AuditRecord[]): Promise<number[]> {
    const pool = this.em.getConnection().getKnex().client as unknown as PoolClient;
    const connection = await pool.acquireConnection();
    try {
      const now = () => this.clock.now();
      const guess = this.lockedGroups > 0 ? null : this.lastHead;
      if (this.lockedGroups > 0) this.lockedGroups -= 1;
      if (guess) {
        const chained = chainEvents(guess, events, now);
        const { rows } = await connection.query<{ appended: number }>({
          ...APPEND_EVENTS,
          values: appendValues(chained.rows, guess, chained.head),
        });
        if (rows[0].appended === 1) {
          this.lastHead = chained.head;
          return chained.rows.map((r) => r.seq);
        }
        this.lockedGroups = LOCKED_AFTER_MISS;
      }
      this.lastHead = null;
      try {
        const results = (await connection.query(
          'begin; select seq, hash from audit_chain_head where id = 1 for update',
        )) as Array<PgResult<HeadRow>>;
        const [locked] = results[1].rows;
        const head = { seq: Number(locked.seq), hash: locked.hash };
        const chained = chainEvents(head, events, now);
        const { rows } = await connection.query<{ appended: number }>({
          ...APPEND_EVENTS,
          values: appendValues(chained.rows, head, chained.head),
        });
        if (rows[0].appended !== 1) throw new Error('the audit chain head moved under its lock');
        await connection.query('commit');
        this.lastHead = chained.head;
        return chained.rows.map((r) => r.seq);
      } catch (error) {
        await connection.query('rollback').catch(() => undefined);
        throw error;
      }
    } finally {
      // Never thrown: the group may have committed, and a throw here would make flush() write it twice.
      await pool
        .releaseConnection(connection)
        .catch((error: unknown) =>
          this.logger.warn(
            { error: error instanceof Error ? error.name : 'unknown' },
            'pool connection not released',
          ),
        );
    }
  }
}
