import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared, type DataCategory } from '@app/common';
import type { MemberChangeKind } from '@app/members';
import type { OutboxEntry, OutboxTopic } from './outbox-entry';

type Row = Record<string, unknown>;

const COLUMNS = `id, topic, member_id, organization_id, member_version, change_kind, categories, sender,
  occurred_at, created_at, partner_id, consent_id, purpose`;

// One statement for one row or many (a batch of changes in one transaction): the rows travel as
// one JSON parameter, so the statement text, and its plan, never depend on the count.
const INSERT = preparedStatement(
  'outbox_insert',
  `insert into outbox (${COLUMNS})
   select ${COLUMNS} from jsonb_to_recordset($1::jsonb) as r(id varchar, topic varchar, member_id varchar,
     organization_id varchar, member_version bigint, change_kind varchar, categories text[], sender varchar,
     occurred_at timestamptz, created_at timestamptz, partner_id varchar, consent_id varchar, purpose varchar)`,
);

// Oldest first; rows another relay holds are skipped, so relays running at once share the rows.
const LOCK_UNRELAYED = preparedStatement(
  'outbox_lock_unrelayed',
  `select ${COLUMNS} from outbox where relayed_at is null order by id limit $1 for update skip locked`,
);

const MARK_RELAYED = preparedStatement(
  'outbox_mark_relayed',
  `update outbox set relayed_at = $2, attempts = attempts + 1 where id = any($1::varchar[])`,
);

const COUNT_FAILED_ATTEMPT = preparedStatement(
  'outbox_count_failed_attempt',
  `update outbox set attempts = attempts + 1 where id = any($1::varchar[]) and relayed_at is null`,
);

function toEntry(row: Row): OutboxEntry {
  const common = {
    id: row.id as string,
    memberId: row.member_id as string,
    organizationId: row.organization_id as string,
    categories: row.categories as DataCategory[],
    sender: row.sender as string,
    occurredAt: new Date(row.occurred_at as string),
    createdAt: new Date(row.created_at as string),
  };
  if ((row.topic as OutboxTopic) === 'consent.revoked')
    return {
      ...common,
      topic: 'consent.revoked',
      partnerId: row.partner_id as string,
      consentId: row.consent_id as string,
      purpose: row.purpose as string,
    };
  return {
    ...common,
    topic: 'member.changed',
    version: Number(row.member_version),
    kind: row.change_kind as MemberChangeKind,
  };
}

/**
 * The outbox table: named prepared statements on MikroORM's connection (no unit of work: the insert
 * is on every member change's path; docs/sql.md). Infrastructure, not tenant data: the relay reads
 * across organizations, and a row holds ids only.
 */
@Injectable()
export class OutboxStore {
  constructor(private readonly em: EntityManager) {}

  /** Inserts rows in `em`'s transaction (the member change's own). */
  async insert(em: EntityManager, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({
      id: e.id,
      topic: e.topic,
      member_id: e.memberId,
      organization_id: e.organizationId,
      member_version: e.topic === 'member.changed' ? e.version : null,
      change_kind: e.topic === 'member.changed' ? e.kind : null,
      categories: e.categories,
      sender: e.sender,
      occurred_at: e.occurredAt.toISOString(),
      created_at: e.createdAt.toISOString(),
      partner_id: e.topic === 'consent.revoked' ? e.partnerId : null,
      consent_id: e.topic === 'consent.revoked' ? e.consentId : null,
      purpose: e.topic === 'consent.revoked' ? e.purpose : null,
    }));
    await runPrepared(em, INSERT, [JSON.stringify(rows)]);
  }

  /** Up to `limit` unrelayed rows, oldest first, locked in `em`'s transaction until it ends. */
  async lockUnrelayed(em: EntityManager, limit: number): Promise<OutboxEntry[]> {
    const rows = await runPrepared<Row>(em, LOCK_UNRELAYED, [limit]);
    return rows.map(toEntry);
  }

  async markRelayed(em: EntityManager, ids: readonly string[], at: Date): Promise<void> {
    await runPrepared(em, MARK_RELAYED, [ids, at]);
  }

  /** Counts a failed relay attempt on rows that stay unrelayed (its own short statement). */
  async countFailedAttempt(ids: readonly string[]): Promise<void> {
    await runPrepared(this.em, COUNT_FAILED_ATTEMPT, [ids]);
  }

  /** Deletes up to `limit` rows relayed before `before`; answers how many went. Unrelayed rows are never deleted. */
  async deleteRelayedBefore(em: EntityManager, before: Date, limit: number): Promise<number> {
    const rows = await em.execute<Row[]>(
      `with gone as (
         delete from outbox where id in (
           select id from outbox where relayed_at is not null and relayed_at < ? limit ?)
         returning 1)
       select count(*) as n from gone`,
      [before, limit],
    );
    return Number(rows[0].n);
  }
}
