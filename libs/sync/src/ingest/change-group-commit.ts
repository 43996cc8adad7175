import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

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
    group.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }

  private async alone(unit: Unit): Promise<void> {
    try {
      const value = await this.em.fork().transactional((em) => unit.work(em));
      this.counts.transactions += 1;
      this.counts.changes += 1;
      unit.resolve(value);
    } catch (error) {
      unit.reject(error);
    }
  }
}
