import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor, type AuditRecord } from '@app/audit';
import { type Actor, AppConfig, Clock, ResourceNotFound } from '@app/common';
import { KeyProvider } from '@app/crypto';
import { PartnersService } from '@app/identity';
import type { BackfillStatusDto, CreateSourceDto, SourceStatusDto } from './source.dto';
import { SourceSchedules } from './source-schedules';
import {
  checkFeedUrl,
  DEFAULT_POLL_INTERVAL_SECONDS,
  lagSeconds,
  newSourceId,
  tokenWrapContext,
} from './source-rules';
import { SourcesStore, type SourceState } from './sources.store';
import { SyncSource } from './sync-source.entity';
import { BackfillRunning, SourceNotAllowed } from './polling.errors';

/**
 * Polled sources (DESIGN §4): registered by a security admin (the token wrapped by the KEK, the
 * schedule upserted), their health, and operator triggers for a poll now or a whole backfill.
 */
@Injectable()
export class SourcesService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
    private readonly keyProvider: KeyProvider,
    private readonly partners: PartnersService,
    private readonly store: SourcesStore,
    private readonly schedules: SourceSchedules,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(dto: CreateSourceDto, actor: Actor): Promise<{ id: string }> {
    const partner = await this.partners.get(dto.partnerId);
    if (partner.type !== 'membership_system') throw new SourceNotAllowed();
    const changeFeedUrl = checkFeedUrl(dto.changeFeedUrl, this.config.env);
    const pollIntervalSeconds = dto.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS;
    const id = newSourceId();
    const tokenWrapped = await this.keyProvider.wrap(
      Buffer.from(dto.bearerToken, 'utf8'),
      tokenWrapContext(id),
    );
    await this.em.fork().transactional(async (em) => {
      await em.insert(SyncSource, {
        id,
        partnerId: partner.id,
        changeFeedUrl,
        pollIntervalSeconds,
        tokenWrapped,
        status: 'syncing',
        createdAt: this.clock.now(),
        createdBy: actorId(actor),
      });
      await this.audit.record(em, {
        ...who(actor),
        action: 'sync_source.create',
        resourceType: 'sync_source',
        resourceIds: [id, partner.id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    // After the commit: a Redis hiccup here is repaired by the worker, which upserts every schedule at boot.
    await this.schedules.upsert(id, pollIntervalSeconds);
    return { id };
  }

  async status(id: string): Promise<SourceStatusDto> {
    const source = await this.require(id);
    const [openCases, deadLetters] = await Promise.all([
      this.store.openCases(source.partnerId),
      this.schedules.deadLetters(id),
    ]);
    return {
      status: source.status,
      lastSuccessAt: source.lastSuccessAt?.toISOString() ?? null,
      lagSeconds: lagSeconds(this.clock.nowMs(), source.lastSuccessAt),
      openCases,
      deadLetters,
    };
  }

  /** Enqueues a poll now (besides the schedule); the stored cursor makes it safe to repeat. */
  async pollNow(id: string, actor: Actor): Promise<{ jobId: string }> {
    await this.require(id);
    const jobId = `poll-${id}-${randomUUID()}`;
    await this.schedules.pollNow(id, jobId);
    await this.audit.recordStandalone({
      ...who(actor),
      action: 'sync_source.poll_request',
      resourceType: 'sync_source',
      resourceIds: [id],
      outcome: 'success',
      statusCode: 202,
    });
    return { jobId };
  }

  /** Starts reading the whole feed from the beginning on the backfill's own cursor (409 while one runs). */
  async backfill(id: string, actor: Actor): Promise<BackfillStatusDto> {
    await this.require(id);
    const startedAt = this.clock.now();
    if (!(await this.store.startBackfill(id, startedAt))) throw new BackfillRunning();
    await this.schedules.backfill(id, startedAt);
    await this.audit.recordStandalone({
      ...who(actor),
      action: 'sync_source.backfill_request',
      resourceType: 'sync_source',
      resourceIds: [id],
      outcome: 'success',
      statusCode: 202,
    });
    return this.backfillStatus(id);
  }

  async backfillStatus(id: string): Promise<BackfillStatusDto> {
    const source = await this.require(id);
    const startedAt = source.backfillStartedAt;
    return {
      status: source.backfillStatus ?? 'none',
      processed: source.backfillProcessed,
      progress:
        source.backfillStatus === 'done'
          ? 100
          : startedAt
            ? await this.schedules.backfillProgress(id, startedAt)
            : null,
      startedAt: startedAt?.toISOString() ?? null,
      finishedAt: source.backfillFinishedAt?.toISOString() ?? null,
    };
  }

  private async require(id: string): Promise<SourceState> {
    const source = await this.store.get(id);
    if (!source) throw new ResourceNotFound('source');
    return source;
  }
}

function actorId(actor: Actor): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 40);
}

/** Who acted: the admin, or the system actor a command or fixture names. */
function who(actor: Actor): ReturnType<typeof auditActor> & Pick<AuditRecord, 'actorType' | 'actorId'> {
  const base = auditActor(actor);
  return actor.principal ? base : { ...base, actorType: 'system', actorId: actor.system ?? null };
}
