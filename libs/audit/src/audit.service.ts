import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock, JobQueues } from '@app/common';
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
  /** The request's audit marker (not stored): set so the request is not audited a second time. */
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
 */
@Injectable()
export class AuditService {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: JobQueues,
  ) {}

  /** Appends inside the caller's transaction (or a new one when `em` has none), so it commits with the change it describes. */
  async record(em: EntityManager, event: AuditRecord): Promise<void> {
    const seqs = em.isInTransaction()
      ? await this.append(em, [event])
      : await em.transactional((tx) => this.append(tx, [event]));
    await this.committed([event], seqs);
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
    try {
      const seqs = await this.em.fork().transactional((tx) => this.append(tx, events));
      await this.committed(events, seqs);
      group.forEach((p) => p.resolve());
    } catch (error) {
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      // One bad event must not fail its neighbours: retry each on its own.
      for (const item of group) {
        await this.record(this.em.fork(), item.event).then(item.resolve, item.reject);
      }
    }
  }

  private async committed(events: AuditRecord[], seqs: number[]): Promise<void> {
    for (const event of events) if (event.auditState) event.auditState.audited = true;
    const every = this.config.audit.checkpointEveryEvents;
    const crossed = seqs.find((seq) => seq % every === 0);
    if (crossed !== undefined)
      await this.jobs.enqueue('audit.checkpoint', { reason: 'event_count' }, `checkpoint-${crossed}`);
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
