// The raw baseline's statements: what the API's write path sends for a signed update, by hand on a
// pg connection. Each mirrors the real one it names, so the comparison is the API against the same
// SQL without the service around it (HTTP, auth, signature, JSON, decryption, sealing, group commit).
import { randomBytes, randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { APPEND_EVENTS, appendValues, chainEvents } from '../../libs/audit/src/chain/audit-append';
import { outboxIdOf } from '../../libs/sync/src/outbox/outbox-id';
import type { RawTarget } from './sync-load-tasks';

type Row = Record<string, unknown>;
type Statement = { name: string; text: string };

/** The encrypted columns MemberStore.lockLiveStamped reads: every field's (the statement is the same). */
export function lockStatement(allColumns: readonly string[]): Statement {
  return {
    name: 'raw_member_lock',
    text: `select m.id, m.organization_id, m.version, m.status, m.updated_at, k.version as key_version, k.wrapped as key_wrapped,
      ${allColumns.map((c) => `m."${c}"`).join(', ')}, m.field_meta
      from member m join member_key k on k.member_id = m.id where m.id = $1 and m.status <> 'deleted' for update of m, k`,
  };
}

/** AppliedEventsStore.find */
const FIND_EVENT: Statement = {
  name: 'raw_event_find',
  text: 'select member_id, version from sync_applied_event where source_partner_id = $1 and event_id = $2',
};

/** MemberStore.updateFields: the new ciphertexts, stamps and version, and the member_change row, in one statement. */
function updateStatement(columns: readonly string[]): Statement {
  const sets = columns.map((c, i) => `"${c}" = $${i + 5}`);
  const n = columns.length + 4;
  return {
    name: 'raw_member_update',
    text: `with u as (
        update member m set ${[...sets, 'field_meta = m.field_meta || $2::jsonb', 'version = m.version + 1', 'updated_at = $3::timestamptz'].join(', ')}
        where m.id = $1 and exists (select 1 from member_key k where k.member_id = m.id and k.version = $4::integer)
        returning m.id, m.organization_id, m.version),
      c as (insert into member_change (member_id, organization_id, version, kind, fields, sender, occurred_at, recorded_at)
        select id, organization_id, version, 'update', $${n + 4}::text[], $${n + 1}::varchar, $${n + 2}::timestamptz, $${n + 3}::timestamptz from u)
      select organization_id, version from u`,
  };
}

/** AuditService.appendLocked: the chain head locked in the transaction. */
const LOCK_HEAD: Statement = {
  name: 'raw_audit_lock_head',
  text: 'select seq, hash from audit_chain_head where id = 1 for update',
};

/** AppliedEventsStore.record */
const RECORD_EVENT: Statement = {
  name: 'raw_event_record',
  text: `insert into sync_applied_event (source_partner_id, event_id, member_id, version, applied_at)
    values ($1, $2, $3, $4, $5) on conflict do nothing returning event_id`,
};

/** OutboxStore.insert (rows as one JSON parameter) */
const OUTBOX_COLUMNS =
  'id, topic, member_id, organization_id, member_version, change_kind, categories, sender, occurred_at, created_at';
const OUTBOX_INSERT: Statement = {
  name: 'raw_outbox_insert',
  text: `insert into outbox (${OUTBOX_COLUMNS})
    select ${OUTBOX_COLUMNS} from jsonb_to_recordset($1::jsonb) as r(id varchar, topic varchar, member_id varchar,
      organization_id varchar, member_version bigint, change_kind varchar, categories text[], sender varchar,
      occurred_at timestamptz, created_at timestamptz)`,
};

/** The batched form: every member of the batch locked in one statement, in id order (no deadlock between batches). */
function lockManyStatement(allColumns: readonly string[]): Statement {
  return {
    name: 'raw_member_lock_many',
    text: `select m.id, m.organization_id, m.version, k.version as key_version, k.wrapped as key_wrapped,
      ${allColumns.map((c) => `m."${c}"`).join(', ')}, m.field_meta
      from member m join member_key k on k.member_id = m.id where m.id = any($1::varchar[]) and m.status <> 'deleted'
      order by m.id for update of m, k`,
  };
}

const FIND_EVENTS: Statement = {
  name: 'raw_event_find_many',
  text: 'select member_id, version from sync_applied_event where source_partner_id = $1 and event_id = any($2::varchar[])',
};

/** Every member's update and change row in one statement: the rows travel as arrays (unnest). */
function updateManyStatement(columns: readonly string[]): Statement {
  const sets = columns.map((c, i) => `"${c}" = v.c${i}`);
  const arrays = columns.map((_, i) => `$${i + 4}::bytea[]`).join(', ');
  const names = columns.map((_, i) => `c${i}`).join(', ');
  const n = columns.length + 3;
  return {
    name: 'raw_member_update_many',
    text: `with v as (select * from unnest($1::varchar[], $2::jsonb[], ${arrays}) as v(id, meta, ${names})),
      u as (
        update member m set ${[...sets, 'field_meta = m.field_meta || v.meta', 'version = m.version + 1', 'updated_at = $3::timestamptz'].join(', ')}
        from v where m.id = v.id
        returning m.id, m.organization_id, m.version),
      c as (insert into member_change (member_id, organization_id, version, kind, fields, sender, occurred_at, recorded_at)
        select id, organization_id, version, 'update', $${n + 2}::text[], $${n + 1}::varchar, $3::timestamptz, $3::timestamptz from u)
      select id, organization_id, version from u`,
  };
}

const RECORD_EVENTS: Statement = {
  name: 'raw_event_record_many',
  text: `insert into sync_applied_event (source_partner_id, event_id, member_id, version, applied_at)
    select $1, e, m, v, $5 from unnest($2::varchar[], $3::varchar[], $4::bigint[]) as r(e, m, v)
    on conflict do nothing`,
};

/** One raw writer: the statements of the API's write path for one update, or for a batch, on a pooled connection. */
export class RawWritePath {
  private readonly lock: Statement;
  private readonly update: Statement;
  private readonly lockMany: Statement;
  private readonly updateMany: Statement;
  private outboxMs = 0;

  constructor(
    private readonly target: RawTarget,
    allColumns: readonly string[],
  ) {
    const columns = target.columns.map((c) => c.column);
    this.lock = lockStatement(allColumns);
    this.update = updateStatement(columns);
    this.lockMany = lockManyStatement(allColumns);
    this.updateMany = updateManyStatement(columns);
  }

  /** Fresh ciphertext-sized bytes per column (the API seals new values each time). */
  private ciphertexts(): Buffer[] {
    return this.target.columns.map((c) => randomBytes(c.bytes));
  }

  private stamps(at: Date): string {
    const entry = { updatedAt: at.toISOString(), source: this.target.sender, side: 'membership_system' };
    return JSON.stringify(Object.fromEntries(this.target.fields.map((f) => [f, entry])));
  }

  private auditEvent(memberIds: string[]) {
    return {
      actorType: 'partner_client' as const,
      actorId: this.target.clientId,
      clientId: this.target.clientId,
      partnerId: this.target.partnerId,
      ip: '127.0.0.1',
      userAgent: null,
      method: 'POST',
      route: '/api/v1/members/:memberId/updates',
      action: 'member.update',
      resourceType: 'member',
      resourceIds: memberIds,
      purpose: 'operations',
      categories: this.target.categories,
      outcome: 'success' as const,
      statusCode: 200,
      requestId: randomUUID(),
    };
  }

  private outboxId(): string {
    this.outboxMs = Math.max(this.outboxMs + 1, Date.now());
    return outboxIdOf(this.outboxMs, BigInt(`0x${randomBytes(10).toString('hex')}`));
  }

  private outboxRow(member: { id: string; organizationId: string; version: number }, at: Date) {
    return {
      id: this.outboxId(),
      topic: 'member.changed',
      member_id: member.id,
      organization_id: member.organizationId,
      member_version: member.version,
      change_kind: 'updated',
      categories: this.target.categories,
      sender: this.target.sender,
      occurred_at: at.toISOString(),
      created_at: at.toISOString(),
    };
  }

  /** One update in a transaction of its own: lock, duplicate check, update + change row, audit, event, outbox. */
  async one(client: PoolClient, memberId: string): Promise<void> {
    const at = new Date();
    const eventId = `evt-raw-${randomUUID()}`;
    await client.query('begin');
    try {
      const locked = await client.query<Row>({ ...this.lock, values: [memberId] });
      if (locked.rowCount !== 1) throw new Error('member not found');
      await client.query({ ...FIND_EVENT, values: [this.target.partnerId, eventId] });
      const { rows } = await client.query<Row>({
        ...this.update,
        values: [
          memberId,
          this.stamps(at),
          at,
          locked.rows[0].key_version,
          ...this.ciphertexts(),
          this.target.sender,
          at,
          at,
          this.target.fields,
        ],
      });
      const member = {
        id: memberId,
        organizationId: rows[0].organization_id as string,
        version: Number(rows[0].version),
      };
      await this.appendAudit(client, [this.auditEvent([memberId])]);
      await client.query({
        ...RECORD_EVENT,
        values: [this.target.partnerId, eventId, memberId, member.version, at],
      });
      await client.query({ ...OUTBOX_INSERT, values: [JSON.stringify([this.outboxRow(member, at)])] });
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  /** A batch as one transaction of multi-row statements: the same rows as `one` for each member. */
  async many(client: PoolClient, memberIds: string[]): Promise<number> {
    const at = new Date();
    const ids = [...memberIds].sort();
    const eventIds = ids.map(() => `evt-raw-${randomUUID()}`);
    await client.query('begin');
    try {
      const locked = await client.query<Row>({ ...this.lockMany, values: [ids] });
      if (locked.rowCount !== ids.length) throw new Error('members not found');
      await client.query({ ...FIND_EVENTS, values: [this.target.partnerId, eventIds] });
      const stamps = this.stamps(at);
      const columns = this.target.columns.map((c) => ids.map(() => randomBytes(c.bytes)));
      const { rows } = await client.query<Row>({
        ...this.updateMany,
        values: [ids, ids.map(() => stamps), at, ...columns, this.target.sender, this.target.fields],
      });
      const members = rows.map((r) => ({
        id: r.id as string,
        organizationId: r.organization_id as string,
        version: Number(r.version),
      }));
      const versionOf = new Map(members.map((m) => [m.id, m.version]));
      await this.appendAudit(
        client,
        ids.map((id) => this.auditEvent([id])),
      );
      await client.query({
        ...RECORD_EVENTS,
        values: [this.target.partnerId, eventIds, ids, ids.map((id) => versionOf.get(id)), at],
      });
      await client.query({
        ...OUTBOX_INSERT,
        values: [JSON.stringify(members.map((m) => this.outboxRow(m, at)))],
      });
      await client.query('commit');
      return members.length;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  /** AuditService.appendLocked: lock the head, hash the rows onto it, append them and move the head. */
  private async appendAudit(client: PoolClient, events: ReturnType<RawWritePath['auditEvent']>[]) {
    const head = await client.query<{ seq: string; hash: Buffer }>(LOCK_HEAD);
    const from = { seq: Number(head.rows[0].seq), hash: head.rows[0].hash };
    const chained = chainEvents(from, events, () => new Date());
    const appended = await client.query<{ appended: number }>({
      ...APPEND_EVENTS,
      values: appendValues(chained.rows, from, chained.head),
    });
    if (appended.rows[0].appended !== 1) throw new Error('the audit chain head moved under its lock');
  }
}
