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

/**
 * Appends events to the hash-chained audit trail. The chain head row is locked inside the
 * caller's transaction, so concurrent writers in any number of processes get consecutive
 * sequence numbers in commit order: no fork, no gap (a rolled-back write gives its number back).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: JobQueues,
  ) {}

  /** Appends inside the caller's transaction (or a new one when `em` has none), so it commits with the change it describes. */
  async record(em: EntityManager, event: AuditRecord): Promise<void> {
    const seq = em.isInTransaction()
      ? await this.append(em, event)
      : await em.transactional((tx) => this.append(tx, event));
    if (event.auditState) event.auditState.audited = true;
    if (seq % this.config.audit.checkpointEveryEvents === 0) {
      await this.jobs.enqueue('audit.checkpoint', { reason: 'event_count' }, `checkpoint-${seq}`);
    }
  }

  /** Appends an event that describes no change (a refusal, a read, a failure) in its own transaction. */
  async recordStandalone(event: AuditRecord): Promise<void> {
    await this.record(this.em.fork(), event);
  }

  private async append(tx: EntityManager, event: AuditRecord): Promise<number> {
    const [head] = await tx.execute<Array<{ seq: string; hash: Buffer }>>(
      'select seq, hash from audit_chain_head where id = 1 for update',
    );
    const chained: ChainedEvent = {
      seq: Number(head.seq) + 1,
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
    const hash = chainHash(head.hash, chained);
    await tx.insert(AuditEvent, {
      ...chained,
      actorType: event.actorType,
      outcome: event.outcome,
      resourceIds: chained.resourceIds ? [...chained.resourceIds] : null,
      categories: chained.categories ? [...chained.categories] : null,
      seq: String(chained.seq),
      hash,
    });
    await tx.execute('update audit_chain_head set seq = ?, hash = ? where id = 1', [chained.seq, hash]);
    return chained.seq;
  }
}
