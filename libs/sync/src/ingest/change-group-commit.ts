import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { isRetryableTransactionError, MAX_TRANSACTION_ATTEMPTS, retryPause } from '@app/common';

type Work<T> = (em: EntityManager) => Promise<T>;

interface Unit {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** At most this many changes share a transaction: bounds lock time and a retried group's size. */
export const MAX_GROUP = 100;

/**
 * Group commit for ingest (DESIGN §2 "Speed"): changes submitted while a transaction is running
 * wait, then share the next one, each in a savepoint of its own, so a failed change rolls back
 * alone. Every caller is answered only after the transaction holding its change has committed.
 * Every ingest transaction takes the audit chain head's lock, so they run one at a time anyway;
 * a group pays that lock, BEGIN and COMMIT once. Should a group fail to commit (a deadlock, a lost
 * connection), each of its changes is run again in a transaction of its own.
 *
 * With several processes (API replicas, workers polling) a group holding the chain head can wait
 * for a member another process's transaction locked before it asked for the head: PostgreSQL breaks
 * that cycle by aborting one side (40P01). The aborted change (its savepoint, or its own
 * transaction) is run again on its own, up to MAX_TRANSACTION_ATTEMPTS, instead of failing its request.
 */
@Injectable()
export class ChangeGroupCommit {
  private queue: Unit[] = [];
  private draining = false;
  private readonly counts = { transactions: 0, changes: 0 };

  constructor(private readonly em: EntityManager) {}

  /** Runs `work` in a transaction (shared with concurrent work); resolves once that has committed. */
  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** Transactions run and changes committed so far (for metrics and the benchmark's profile). */
  stats(): { transactions: number; changes: number } {
    return { ...this.counts };
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.draining = false;
    }
  }

  private async commit(group: Unit[]): Promise<void> {
    if (group.length === 1) return this.alone(group[0]);
    const outcomes: Outcome[] = [];
    try {
      await this.em.fork().transactional(async (em) => {
        for (const unit of group) {
          try {
            outcomes.push({ ok: true, value: await em.transactional((savepoint) => unit.work(savepoint)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch {
      for (const unit of group) await this.alone(unit);
      return;
    }
    this.counts.transactions += 1;
    this.counts.changes += outcomes.filter((o) => o.ok).length;
    const aborted: Unit[] = [];
    group.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) unit.resolve(outcome.value);
      else if (isRetryableTransactionError(outcome.error)) aborted.push(unit);
      else unit.reject(outcome.error);
    });
    // Rolled back to their savepoints while the group committed: each runs again on its own.
    for (const unit of aborted) await this.alone(unit, 2);
  }

  private async alone(unit: Unit, attempt = 1): Promise<void> {
    try {
      const value = await this.em.fork().transactional((em) => unit.work(em));
      this.counts.transactions += 1;
      this.counts.changes += 1;
      unit.resolve(value);
    } catch (error) {
      if (!isRetryableTransactionError(error) || attempt >= MAX_TRANSACTION_ATTEMPTS)
        return unit.reject(error);
      await retryPause(attempt + 1);
      return this.alone(unit, attempt + 1);
    }
  }
}
