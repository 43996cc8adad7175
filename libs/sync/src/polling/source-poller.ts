import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, Clock, DomainError, type PartnerPrincipal } from '@app/common';
import { KeyProvider } from '@app/crypto';
import { PartnersService } from '@app/identity';
import { compileValidator } from '@app/members';
import { IngestService, type ChangeSender, type UpdateItem } from '../ingest/ingest.service';
import { BATCH_ITEM_SCHEMA } from '../ingest/update-schemas';
import { ChangeFeedClient, FeedUnavailable } from './change-feed.client';
import {
  backfillPercent,
  chainsBySourceRef,
  FEED_PAGE_LIMIT,
  feedPageUrl,
  tallyPage,
  tokenWrapContext,
  type FeedChange,
  type ItemOutcome,
  type PageTally,
} from './source-rules';
import { SourcesStore, type FeedMode, type SourceState } from './sources.store';

/** A run reads at most this many pages; the next scheduled run continues from the stored cursor. */
const MAX_PAGES_PER_RUN = 500;
/** Members of a page applied side by side (each member's changes stay in feed order). */
const PAGE_CONCURRENCY = 8;

const validateItem = compileValidator<UpdateItem>(BATCH_ITEM_SCHEMA);

export interface RunSummary {
  outcome: 'done' | 'more' | 'moved' | 'paused' | 'skipped';
  pages: number;
  processed: number;
  applied: number;
  rejected: number;
}

type Partner = Awaited<ReturnType<PartnersService['get']>>;

/**
 * Reads a source's change feed from its stored cursor and applies every change through
 * IngestService.apply (the webhooks' path: event-id dedupe, conflict policies, audit) as the
 * source's partner. A page's next cursor is stored only after all its changes settled, so a crash
 * mid-page re-reads the page, and dedupe makes the second reading change nothing.
 */
@Injectable()
export class SourcePoller {
  private readonly logger = new Logger('SourcePoller');

  constructor(
    private readonly store: SourcesStore,
    private readonly ingest: IngestService,
    private readonly partners: PartnersService,
    private readonly keyProvider: KeyProvider,
    private readonly feed: ChangeFeedClient,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** One poll from the stored cursor to the feed's end (or MAX_PAGES_PER_RUN pages). */
  async poll(sourceId: string): Promise<RunSummary> {
    return this.run(sourceId, 'poll', () => Promise.resolve(), false);
  }

  /** The whole feed from the backfill's own cursor; `final` marks the job's last attempt. */
  async backfill(
    sourceId: string,
    progress: (percent: number) => Promise<void>,
    final: boolean,
  ): Promise<RunSummary> {
    return this.run(sourceId, 'backfill', progress, final);
  }

  private async run(
    sourceId: string,
    mode: FeedMode,
    progress: (percent: number) => Promise<void>,
    final: boolean,
  ): Promise<RunSummary> {
    const summary: RunSummary = { outcome: 'skipped', pages: 0, processed: 0, applied: 0, rejected: 0 };
    const source = await this.store.get(sourceId);
    // A removed source or a backfill no longer asked for: nothing to do (the job completes).
    if (!source || (mode === 'backfill' && source.backfillStatus !== 'running')) return summary;
    const partner = await this.partners.get(source.partnerId);
    if (partner.status !== 'active') {
      await this.store.paused(sourceId);
      return { ...summary, outcome: 'paused' };
    }
    const startedAt = this.clock.now();
    if (mode === 'poll') await this.store.pollStarted(sourceId, startedAt);
    const actor = pollerActor(source, partner, mode);
    try {
      const sender = await this.ingest.senderFor(actor, `sync.${mode}`);
      const token = (await this.keyProvider.unwrap(source.tokenWrapped, tokenWrapContext(sourceId))).toString(
        'utf8',
      );
      let cursor = mode === 'poll' ? source.cursor : source.backfillCursor;
      let firstMs: number | null = null;
      summary.outcome = 'more';
      while (summary.pages < MAX_PAGES_PER_RUN) {
        const page = await this.feed.page(feedPageUrl(source.changeFeedUrl, cursor, FEED_PAGE_LIMIT), token);
        const tally = await this.applyPage(sender, page.data);
        if (!(await this.store.advance(sourceId, mode, cursor, page.nextCursor, tally))) {
          summary.outcome = 'moved';
          break;
        }
        cursor = page.nextCursor;
        summary.pages += 1;
        summary.processed += tally.processed;
        summary.applied += tally.applied;
        summary.rejected += tally.rejected;
        if (mode === 'backfill') {
          firstMs ??= page.data.length ? Date.parse(page.data[0].occurredAt) : null;
          const newestMs = tally.newestOccurredAt ? Date.parse(tally.newestOccurredAt) : null;
          await progress(backfillPercent(firstMs, newestMs, startedAt.getTime()));
        }
        if (!page.hasMore) {
          summary.outcome = 'done';
          break;
        }
      }
      if (summary.outcome === 'done') {
        if (mode === 'poll') await this.store.pollSucceeded(sourceId, startedAt);
        else {
          await this.store.backfillEnded(sourceId, 'done', this.clock.now());
          await progress(100);
        }
      }
    } catch (error) {
      const reason = failureReason(error);
      if (mode === 'poll') await this.store.pollFailed(sourceId, reason);
      else if (final) await this.store.backfillEnded(sourceId, 'failed', this.clock.now());
      this.logger.warn({ sourceId, mode, reason }, 'source run failed');
      await this.record(actor, mode, sourceId, 'failure', reason);
      throw error;
    }
    this.logger.log({ sourceId, mode, ...summary }, 'source run finished');
    await this.record(actor, mode, sourceId, 'success', summary.outcome);
    return summary;
  }

  /**
   * Applies a page: each member's changes in feed order, members side by side. Every change settles
   * before this answers; an unexpected error (the database gone) is thrown after that, so the
   * cursor stays before the page.
   */
  private async applyPage(sender: ChangeSender, changes: readonly FeedChange[]): Promise<PageTally> {
    const outcomes: Array<{ occurredAt: string; outcome: ItemOutcome; rejectedType?: string }> = [];
    const indexed = changes.map((change, index) => ({ ...change, index }));
    const chains = chainsBySourceRef(indexed);
    let next = 0;
    const worker = async () => {
      for (let chain = chains[next++]; chain; chain = chains[next++]) {
        for (const change of chain) outcomes[change.index] = await this.applyOne(sender, change);
      }
    };
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(PAGE_CONCURRENCY, chains.length) }, worker),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return tallyPage(outcomes);
  }

  private async applyOne(
    sender: ChangeSender,
    change: FeedChange,
  ): Promise<{ occurredAt: string; outcome: ItemOutcome; rejectedType?: string }> {
    let item: UpdateItem;
    try {
      item = validateItem({
        sourceRef: change.sourceRef,
        eventId: change.eventId,
        occurredAt: change.occurredAt,
        changes: change.changes,
      });
    } catch (error) {
      if (error instanceof DomainError)
        return { occurredAt: change.occurredAt, outcome: 'rejected', rejectedType: error.type };
      throw error;
    }
    const result = await this.ingest.apply(sender, item);
    return result.result === 'rejected'
      ? { occurredAt: change.occurredAt, outcome: 'rejected', rejectedType: result.error.type }
      : { occurredAt: change.occurredAt, outcome: result.result };
  }

  private async record(
    actor: Actor,
    mode: FeedMode,
    sourceId: string,
    outcome: 'success' | 'failure',
    reason: string,
  ): Promise<void> {
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: `sync_source.${mode}`,
      resourceType: 'sync_source',
      resourceIds: [sourceId],
      outcome,
      statusCode: outcome === 'success' ? 200 : 502,
      reason: reason.slice(0, 80),
    });
  }
}

/**
 * The job acting for the source's partner, as the gateway would build it from a token: the
 * partner's registration (organizations, categories, purpose), scope sync:write only. The
 * principal's id is the source's, and the route names the job, so the audit trail shows who.
 */
export function pollerActor(source: Pick<SourceState, 'id'>, partner: Partner, mode: FeedMode): Actor {
  const principal: PartnerPrincipal = {
    kind: 'partner_client',
    id: source.id,
    partnerId: partner.id,
    partnerType: partner.type,
    vendorId: partner.vendorId,
    organizationIds: partner.organizationIds,
    categories: partner.categories,
    purpose: partner.purpose,
    requiresConsent: partner.requiresConsent,
    scopes: new Set(['sync:write']),
  };
  return {
    principal,
    system: `job:sync.${mode}`,
    request: { ip: '127.0.0.1', method: 'JOB', route: `job sync.${mode}`, requestId: randomUUID() },
  };
}

function failureReason(error: unknown): string {
  if (error instanceof FeedUnavailable) return `feed_${error.reason}`;
  if (error instanceof DomainError) return error.type;
  return 'apply_failed';
}
