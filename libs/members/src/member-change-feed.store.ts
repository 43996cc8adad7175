import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '@app/common';
import type { MemberField } from './catalog/field-catalog';
import type { ChangeFeedPosition } from './member-change-cursor';
import type { MemberChangeKind } from './member-change-observers';

/** One `member_change` row as the feed serves it: ids, version, kind and field names, never a value. */
export interface FeedChangeRow {
  position: ChangeFeedPosition;
  memberId: string;
  organizationId: string;
  version: number;
  kind: MemberChangeKind;
  fields: MemberField[];
  occurredAt: Date;
}

const KINDS: Record<string, MemberChangeKind> = { create: 'created', update: 'updated', delete: 'deleted' };

/**
 * The commit-safe page: per organization, one range of the (organization_id, tx, seq) index after
 * the cursor and below the horizon, merged and cut to the limit. The horizon is the oldest
 * transaction still running (`pg_snapshot_xmin`): every transaction with a lower id has ended, so
 * no row can still appear before a row served; one still running sorts after everything served.
 */
const FEED_PAGE = preparedStatement(
  'member_change_feed',
  `select c.tx::text as tx, c.seq::text as seq, c.member_id, c.organization_id, c.version, c.kind, c.fields, c.occurred_at
     from unnest($1::text[]) as o(id)
     cross join lateral (
       select * from member_change mc
        where mc.organization_id = o.id
          and (mc.tx, mc.seq) > ($2::xid8, $3::bigint)
          and mc.tx < pg_snapshot_xmin(pg_current_snapshot())
        order by mc.tx, mc.seq
        limit $4) c
    order by c.tx, c.seq
    limit $4`,
);

type Row = Record<string, unknown>;

/** Reads `member_change` for the partner change feed (the log's writers are in MemberStore's statements). */
@Injectable()
export class MemberChangeFeedStore {
  constructor(private readonly em: EntityManager) {}

  /** Up to `limit` committed changes of these organizations after `after`, in (tx, seq) order. */
  async page(
    organizationIds: readonly string[],
    after: ChangeFeedPosition,
    limit: number,
  ): Promise<FeedChangeRow[]> {
    const rows = await runPrepared<Row>(this.em, FEED_PAGE, [organizationIds, after.tx, after.seq, limit]);
    return rows.map((row) => ({
      position: { tx: row.tx as string, seq: row.seq as string },
      memberId: row.member_id as string,
      organizationId: row.organization_id as string,
      version: Number(row.version),
      kind: KINDS[row.kind as string],
      fields: row.fields as MemberField[],
      occurredAt: new Date(row.occurred_at as string),
    }));
  }
}
