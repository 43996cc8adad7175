import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock, JobQueues } from '@app/common';
import { AfterCommit } from './after-commit';
import { AuditEvent, type ActorType, type AuditOutcome } from './audit-event.entity';
import { chainHash, type ChainedEvent } from './chain/audit-chain';

/** What a caller says about an action. Never a field value, a body, a query-string value or a secret. */
export interface AuditRecord {
  actorType: ActorType;
  actorId?: string | null;
  clientId?: string | null;
  partnerId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  method?: string | null;
  route?: string | null;
  action: string;
  resourceType?: string | null;
  resourceIds?: string[] | null;
  purpose?: string | null;
  categories?: string[] | null;
  outcome: AuditOutcome;
  statusCode?: number | null;
  reason?: string | null;
  requestId?: string | null;
  occurredAt?: Date;
  /** The request's audit marker (not stored): set once the event has committed, so the request is not audited twice. */
  auditState?: { audited: boolean };
}

interface Pending {
  event: AuditRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_GROUP = 500;

/**
 * Appends events to the hash-chained audit trail. The chain head row is locked inside the
 * writing transaction, so concurrent writers in any number of processes get consecutive
 * sequence numbers in commit order: no fork, no gap (a rolled-back write gives its numbers back).
 * Standalone events (reads, refusals) are group-committed: concurrent ones share one
 * transaction, and each caller is answered only after that transaction has committed.
 * Redis is never part of the write: the checkpoint job is asked for after the commit, best effort.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly enqueuing = new Set<Promise<void>>();

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
    if (em.isInTransaction()) {
      const seqs = await this.append(em, [event]);
      this.afterCommit.run(em, () => this.committed([event], seqs));
      return;
    }
    const seqs = await em.transactional((tx) => this.append(tx, [event]));
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
      seqs = await this.em.fork().transactional((tx) => this.append(tx, events));
    } catch (error) {
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

  private async append(tx: EntityManager, events: AuditRecord[]): Promise<number[]> {
    const [head] = await tx.execute<Array<{ seq: string; hash: Buffer }>>(
      'select seq, hash from audit_chain_head where id = 1 for update',
    );
    let seq = Number(head.seq);
    let previous = head.hash;
    const rows = events.map((event) => {
      seq += 1;
      const chained: ChainedEvent = {
        seq,
        occurredAt: event.occurredAt ?? this.clock.now(),
        actorType: event.actorType,
        actorId: event.actorId ?? null,
        clientId: event.clientId ?? null,
        partnerId: event.partnerId ?? null,
        ip: event.ip ?? null,
        userAgent: event.userAgent ?? null,
        method: event.method ?? null,
        route: event.route ?? null,
        action: event.action,
        resourceType: event.resourceType ?? null,
        resourceIds: event.resourceIds ?? null,
        purpose: event.purpose ?? null,
        categories: event.categories ?? null,
        outcome: event.outcome,
        statusCode: event.statusCode ?? null,
        reason: event.reason ?? null,
        requestId: event.requestId ?? null,
      };
      previous = chainHash(previous, chained);
      return {
        ...chained,
        actorType: event.actorType,
        outcome: event.outcome,
        resourceIds: chained.resourceIds ? [...chained.resourceIds] : null,
        categories: chained.categories ? [...chained.categories] : null,
        seq: String(seq),
        hash: previous,
      };
    });
    await tx.insertMany(AuditEvent, rows);
    await tx.execute('update audit_chain_head set seq = ?, hash = ? where id = 1', [seq, previous]);
    return rows.map((r) => Number(r.seq));
  }
}
