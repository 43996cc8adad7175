import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { WrappedSecret } from '@app/crypto';
import type { BackfillStatus, SourceStatus } from './sync-source.entity';
import type { PageTally } from './source-rules';

/** A source's row as the poller and the status route read it (bigints as numbers). */
export interface SourceState {
  id: string;
  partnerId: string;
  changeFeedUrl: string;
  pollIntervalSeconds: number;
  tokenWrapped: WrappedSecret;
  status: SourceStatus;
  cursor: string | null;
  lastSuccessAt: Date | null;
  newestOccurredAt: Date | null;
  lastError: string | null;
  appliedCount: number;
  rejectedCount: number;
  lastRejectedType: string | null;
  backfillStatus: BackfillStatus | null;
  backfillCursor: string | null;
  backfillProcessed: number;
  backfillStartedAt: Date | null;
  backfillFinishedAt: Date | null;
}

export type FeedMode = 'poll' | 'backfill';

interface Row {
  id: string;
  partner_id: string;
  change_feed_url: string;
  poll_interval_seconds: number;
  token_wrapped: WrappedSecret;
  status: SourceStatus;
  cursor: string | null;
  last_success_at: Date | null;
  newest_occurred_at: Date | null;
  last_error: string | null;
  applied_count: string;
  rejected_count: string;
  last_rejected_type: string | null;
  backfill_status: BackfillStatus | null;
  backfill_cursor: string | null;
  backfill_processed: string;
  backfill_started_at: Date | null;
  backfill_finished_at: Date | null;
}

/**
 * The cursors and health of sources, in plain SQL. A cursor only moves by compare-and-set from the
 * value the page was read at, so two polls of one source (the schedule and a manual trigger) never
 * move it backwards: the slower one finds it moved and stops.
 */
@Injectable()
export class SourcesStore {
  constructor(private readonly em: EntityManager) {}

  async get(id: string): Promise<SourceState | null> {
    const [row] = await this.em.fork().execute<Row[]>('select * from sync_source where id = ?', [id]);
    return row ? stateOf(row) : null;
  }

  async ids(): Promise<Array<{ id: string; pollIntervalSeconds: number }>> {
    const rows = await this.em
      .fork()
      .execute<Array<{ id: string; poll_interval_seconds: number }>>(
        'select id, poll_interval_seconds from sync_source order by id',
      );
    return rows.map((r) => ({ id: r.id, pollIntervalSeconds: r.poll_interval_seconds }));
  }

  /** Stores the page's next cursor and its counts; false when another run moved the cursor meanwhile. */
  async advance(
    id: string,
    mode: FeedMode,
    from: string | null,
    to: string,
    tally: PageTally,
  ): Promise<boolean> {
    const column = mode === 'poll' ? 'cursor' : 'backfill_cursor';
    const processed = mode === 'backfill' ? ', backfill_processed = backfill_processed + ?' : '';
    const params: unknown[] = [
      to,
      tally.applied,
      tally.rejected,
      tally.rejectedType,
      tally.newestOccurredAt,
      ...(mode === 'backfill' ? [tally.processed] : []),
      id,
      from,
    ];
    const rows = await this.em.fork().execute<Array<{ id: string }>>(
      `update sync_source set ${column} = ?,
         applied_count = applied_count + ?, rejected_count = rejected_count + ?,
         last_rejected_type = coalesce(?, last_rejected_type),
         newest_occurred_at = greatest(newest_occurred_at, ?::timestamptz)${processed}
       where id = ? and ${column} is not distinct from ? returning id`,
      params,
    );
    return rows.length > 0;
  }

  async pollStarted(id: string, at: Date): Promise<void> {
    await this.em
      .fork()
      .execute(`update sync_source set last_poll_at = ?, status = 'syncing' where id = ?`, [at, id]);
  }

  /** The feed was read to its end: every change committed before `at` is applied. */
  async pollSucceeded(id: string, at: Date): Promise<void> {
    await this.em
      .fork()
      .execute(
        `update sync_source set last_success_at = ?, status = 'done', last_error = null where id = ?`,
        [at, id],
      );
  }

  async pollFailed(id: string, reason: string): Promise<void> {
    await this.em
      .fork()
      .execute(`update sync_source set status = 'failed', last_error = ? where id = ?`, [
        reason.slice(0, 80),
        id,
      ]);
  }

  async paused(id: string): Promise<void> {
    await this.em.fork().execute(`update sync_source set status = 'paused' where id = ?`, [id]);
  }

  /** Starts a backfill from the beginning unless one runs; false when one is running. */
  async startBackfill(id: string, at: Date): Promise<boolean> {
    const rows = await this.em.fork().execute<Array<{ id: string }>>(
      `update sync_source set backfill_status = 'running', backfill_cursor = null, backfill_processed = 0,
         backfill_started_at = ?, backfill_finished_at = null
       where id = ? and backfill_status is distinct from 'running' returning id`,
      [at, id],
    );
    return rows.length > 0;
  }

  async backfillEnded(id: string, status: 'done' | 'failed', at: Date): Promise<void> {
    await this.em
      .fork()
      .execute(`update sync_source set backfill_status = ?, backfill_finished_at = ? where id = ?`, [
        status,
        at,
        id,
      ]);
  }

  /** Open reconciliation cases this source's partner's changes opened (sync's own table). */
  async openCases(partnerId: string): Promise<number> {
    const [row] = await this.em
      .fork()
      .execute<Array<{ n: string }>>(
        `select count(*) as n from reconciliation_case where source_partner_id = ? and status = 'open'`,
        [partnerId],
      );
    return Number(row?.n ?? 0);
  }
}

function stateOf(row: Row): SourceState {
  return {
    id: row.id,
    partnerId: row.partner_id,
    changeFeedUrl: row.change_feed_url,
    pollIntervalSeconds: row.poll_interval_seconds,
    tokenWrapped: row.token_wrapped,
    status: row.status,
    cursor: row.cursor,
    lastSuccessAt: row.last_success_at ? new Date(row.last_success_at) : null,
    newestOccurredAt: row.newest_occurred_at ? new Date(row.newest_occurred_at) : null,
    lastError: row.last_error,
    appliedCount: Number(row.applied_count),
    rejectedCount: Number(row.rejected_count),
    lastRejectedType: row.last_rejected_type,
    backfillStatus: row.backfill_status,
    backfillCursor: row.backfill_cursor,
    backfillProcessed: Number(row.backfill_processed),
    backfillStartedAt: row.backfill_started_at ? new Date(row.backfill_started_at) : null,
    backfillFinishedAt: row.backfill_finished_at ? new Date(row.backfill_finished_at) : null,
  };
}
