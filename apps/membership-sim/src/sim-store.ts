import type { Pool, PoolClient } from 'pg';
import type { SimEvent } from './change-plan';
import { applyChanges, type MemberChanges, type MemberGroups } from './member-document';
import { FEED_WRITE_LOCK } from './sim-database';

export interface StoredMember {
  sourceRef: string;
  memberId: string | null;
  organizationId: string | null;
  status: string;
  version: number;
  updatedAt: string;
  document: MemberGroups;
}

export interface FeedRow {
  position: string;
  sourceRef: string;
  eventId: string;
  occurredAt: string;
  changes: MemberChanges;
}

export type DeliveryApplication = 'applied' | 'duplicate' | 'unknown_member';

export interface InboundChange {
  webhookId: string;
  /** The member, by the sim's sourceRef or by our API's member id. */
  sourceRef?: string;
  memberId?: string;
  eventId?: string;
  changes: MemberChanges;
  deleted: boolean;
  groups: string[];
}

const INSERT_CHUNK = 1_000;

/** The sim's member store and change feed (plain SQL on its own database). */
export class SimStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Commits a run's events to the feed (in order) and the members' resulting documents, in one
   * transaction holding the feed lock, so a reader sees all of a run or none and never skips a row.
   */
  async record(
    events: SimEvent[],
    documents: Map<string, MemberGroups>,
    organizationId: string | null,
  ): Promise<void> {
    const touched = new Map<string, { count: number; occurredAt: string }>();
    for (const e of events) {
      touched.set(e.sourceRef, {
        count: (touched.get(e.sourceRef)?.count ?? 0) + 1,
        occurredAt: e.occurredAt,
      });
    }
    await this.transaction(async (client) => {
      await client.query('select pg_advisory_xact_lock($1)', [FEED_WRITE_LOCK]);
      for (let i = 0; i < events.length; i += INSERT_CHUNK) {
        const chunk = events.slice(i, i + INSERT_CHUNK);
        await client.query(
          `insert into sim_change (event_id, kind, source_ref, occurred_at, changes)
           select e, k, s, o, c from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
             with ordinality as t(e, k, s, o, c, n) order by n`,
          [
            chunk.map((e) => e.eventId),
            chunk.map((e) => e.kind),
            chunk.map((e) => e.sourceRef),
            chunk.map((e) => e.occurredAt),
            chunk.map((e) => JSON.stringify(e.changes)),
          ],
        );
      }
      const members = [...touched];
      for (let i = 0; i < members.length; i += INSERT_CHUNK) {
        const chunk = members.slice(i, i + INSERT_CHUNK);
        await client.query(
          `insert into sim_member (source_ref, organization_id, version, document, updated_at)
           select * from unnest($1::text[], $2::text[], $3::int[], $4::jsonb[], $5::timestamptz[])
           on conflict (source_ref) do update
             set version = sim_member.version + excluded.version,
                 document = excluded.document,
                 updated_at = excluded.updated_at`,
          [
            chunk.map(([ref]) => ref),
            chunk.map(() => organizationId),
            chunk.map(([, t]) => t.count),
            chunk.map(([ref]) => JSON.stringify(documents.get(ref))),
            chunk.map(([, t]) => t.occurredAt),
          ],
        );
      }
    });
  }

  /** Remembers our API's ids for members it created (from its 201/409 answers). */
  async rememberMemberIds(ids: Map<string, string>): Promise<void> {
    if (ids.size === 0) return;
    await this.pool.query(
      `update sim_member m set member_id = t.id
         from unnest($1::text[], $2::text[]) as t(ref, id)
        where m.source_ref = t.ref and m.member_id is distinct from t.id`,
      [[...ids.keys()], [...ids.values()]],
    );
  }

  /** Up to `limit` changes after `position`, in commit order. */
  async changesAfter(position: string, limit: number): Promise<FeedRow[]> {
    const { rows } = await this.pool.query<{
      position: string;
      event_id: string;
      source_ref: string;
      occurred_at: Date;
      changes: MemberChanges;
    }>(
      // Ordered by the bigint column, not the text alias of the same name.
      `select c.seq::text as position, c.event_id, c.source_ref, c.occurred_at, c.changes
         from sim_change c where c.seq > $1::bigint order by c.seq limit $2`,
      [position, limit],
    );
    return rows.map((r) => ({
      position: r.position,
      sourceRef: r.source_ref,
      eventId: r.event_id,
      occurredAt: r.occurred_at.toISOString(),
      changes: r.changes,
    }));
  }

  /** The position of the last committed change (0 when the feed is empty). */
  async lastPosition(): Promise<string> {
    const { rows } = await this.pool.query<{ seq: string }>(
      'select coalesce(max(seq), 0)::text as seq from sim_change',
    );
    return rows[0].seq;
  }

  async lastOccurredAtMs(): Promise<number | null> {
    const { rows } = await this.pool.query<{ at: Date | null }>(
      'select max(occurred_at) as at from sim_change',
    );
    return rows[0].at ? rows[0].at.getTime() : null;
  }

  async memberCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('select count(*)::text as n from sim_member');
    return Number(rows[0].n);
  }

  async member(sourceRef: string): Promise<StoredMember | null> {
    const { rows } = await this.pool.query<MemberRow>(`${MEMBER_SELECT} where source_ref = $1`, [sourceRef]);
    return rows[0] ? toStoredMember(rows[0]) : null;
  }

  /** Members in sourceRef order after `afterSourceRef` ('' = from the first). */
  async members(afterSourceRef: string, limit: number): Promise<StoredMember[]> {
    const { rows } = await this.pool.query<MemberRow>(
      `${MEMBER_SELECT} where source_ref > $1 order by source_ref limit $2`,
      [afterSourceRef, limit],
    );
    return rows.map(toStoredMember);
  }

  /** Every active member's document (the targets of a run that creates no member). */
  async activeDocuments(): Promise<Array<{ sourceRef: string; document: MemberGroups }>> {
    const { rows } = await this.pool.query<{ source_ref: string; document: MemberGroups }>(
      "select source_ref, document from sim_member where status = 'active' order by source_ref",
    );
    return rows.map((r) => ({ sourceRef: r.source_ref, document: r.document }));
  }

  /**
   * Applies a change our API delivered, once per webhook-id. Not written to the feed: it came from
   * our side, and echoing it back would make our poller re-apply our own change.
   */
  async applyDelivery(change: InboundChange): Promise<DeliveryApplication> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ source_ref: string; document: MemberGroups }>(
        `select source_ref, document from sim_member
          where ${change.sourceRef !== undefined ? 'source_ref' : 'member_id'} = $1 for update`,
        [change.sourceRef ?? change.memberId],
      );
      if (rows.length === 0) return 'unknown_member';
      const inserted = await client.query(
        `insert into sim_delivery (webhook_id, source_ref, event_id, groups) values ($1, $2, $3, $4)
         on conflict (webhook_id) do nothing`,
        [change.webhookId, rows[0].source_ref, change.eventId ?? null, change.groups],
      );
      if (inserted.rowCount === 0) return 'duplicate';
      await client.query(
        `update sim_member set document = $2, version = version + 1, updated_at = now(),
                status = case when $3 then 'deleted' else status end
          where source_ref = $1`,
        [rows[0].source_ref, JSON.stringify(applyChanges(rows[0].document, change.changes)), change.deleted],
      );
      return 'applied';
    });
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

interface MemberRow {
  source_ref: string;
  member_id: string | null;
  organization_id: string | null;
  status: string;
  version: number;
  updated_at: Date;
  document: MemberGroups;
}

const MEMBER_SELECT =
  'select source_ref, member_id, organization_id, status, version, updated_at, document from sim_member';

function toStoredMember(row: MemberRow): StoredMember {
  return {
    sourceRef: row.source_ref,
    memberId: row.member_id,
    organizationId: row.organization_id,
    status: row.status,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
    document: row.document,
  };
}
