import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { type PreparedStatement, preparedStatement, runPrepared } from '@app/common';
import type { WrappedSecret } from '@app/crypto';
import {
  BLIND_INDEXED_FIELDS,
  blindIndexColumn,
  encryptedColumn,
  MEMBER_FIELD_NAMES,
  type MemberField,
} from './catalog/field-catalog';
import type { MemberChange } from './member-change';
import type { StampedMember } from './member-stamps';

export interface StoredMember {
  id: string;
  organizationId: string;
  version: number;
  status: string;
  updatedAt: Date;
  keyVersion: number | null;
  wrappedKey: WrappedSecret | null;
  ciphertexts: Partial<Record<MemberField, Buffer>>;
}

/** A live member locked for deletion: the fields it holds values for, no key or ciphertext. */
export interface LockedTombstoneCandidate {
  id: string;
  organizationId: string;
  version: number;
  fields: MemberField[];
}

export interface NewMember {
  id: string;
  organizationId: string;
  sourcePartnerId: string;
  sourceRef: string;
  fieldMeta: Record<string, unknown>;
  ciphertexts: Partial<Record<MemberField, Buffer>>;
  blindIndexes: Partial<Record<MemberField, Buffer>>;
  keyVersion: number;
  wrappedKey: WrappedSecret;
  now: Date;
}

/** New ciphertexts (and blind indexes) for some fields, sealed under the member's current data key. */
export interface FieldUpdate {
  ciphertexts: Partial<Record<MemberField, Buffer>>;
  blindIndexes: Partial<Record<MemberField, Buffer>>;
  fieldMeta: Record<string, unknown>;
  keyVersion: number;
  now: Date;
}

type Row = Record<string, unknown>;

const ALL_COLUMNS = MEMBER_FIELD_NAMES.map(encryptedColumn);
const CHANGE_COLUMNS = 'member_id, organization_id, version, kind, fields, sender, occurred_at, recorded_at';

function selectList(fields: readonly MemberField[]): string {
  const encrypted = fields.map((f) => `m."${encryptedColumn(f)}"`).join(', ');
  return `m.id, m.organization_id, m.version, m.status, m.updated_at, k.version as key_version, k.wrapped as key_wrapped${encrypted ? `, ${encrypted}` : ''}`;
}

// A read's statement depends only on its projection's fields: built and named once per field list,
// not (string building and a SHA-256 of the text) on every read.
const memberReadStatements = new Map<string, PreparedStatement>();
function memberReadStatement(fields: readonly MemberField[]): PreparedStatement {
  const key = fields.join(',');
  let statement = memberReadStatements.get(key);
  if (!statement) {
    statement = preparedStatement(
      'member_read',
      `select ${selectList(fields)} from member m left join member_key k on k.member_id = m.id
         where m.id = $1 and m.status <> 'deleted'`,
    );
    // Bounded by the catalog: one entry per distinct projection (category sets), never per request.
    memberReadStatements.set(key, statement);
  }
  return statement;
}

/** A member row (its catalog columns among `fields`) as the cipher reads it; the export's snapshot reads the same rows. */
export function toStored(row: Row, fields: readonly MemberField[]): StoredMember {
  const ciphertexts: Partial<Record<MemberField, Buffer>> = {};
  for (const field of fields) {
    const value = row[encryptedColumn(field)];
    if (value) ciphertexts[field] = value as Buffer;
  }
  return {
    id: row.id as string,
    organizationId: row.organization_id as string,
    version: Number(row.version),
    status: row.status as string,
    updatedAt: new Date(row.updated_at as string),
    keyVersion: row.key_version === null ? null : Number(row.key_version),
    wrappedKey: (row.key_wrapped as WrappedSecret | null) ?? null,
    ciphertexts,
  };
}

/** `member_change` values after `$offset`: sender, occurredAt, recordedAt, fields (member, org, version come from the row written). */
function changeValues(change: MemberChange): unknown[] {
  return [change.sender, change.occurredAt, change.recordedAt, change.fields];
}

/**
 * The member table on the hot paths: named prepared statements with bound parameters on MikroORM's
 * connection (no unit of work; docs/sql.md). Every tenant query takes the organizations it may
 * touch as a required argument. A data change writes its `member_change` row in the same statement.
 */
@Injectable()
export class MemberStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts a member, its wrapped data key and its `create` change in one statement; returns false
   * when the source already sent this sourceRef (nothing is written then).
   */
  async insert(em: EntityManager, member: NewMember, change: MemberChange): Promise<boolean> {
    const columns = [
      'id',
      'organization_id',
      'version',
      'status',
      'source_partner_id',
      'source_ref',
      'field_meta',
      'created_at',
      'updated_at',
    ];
    const values: unknown[] = [
      member.id,
      member.organizationId,
      1,
      'active',
      member.sourcePartnerId,
      member.sourceRef,
      JSON.stringify(member.fieldMeta),
      member.now,
      member.now,
    ];
    for (const [field, sealed] of Object.entries(member.ciphertexts) as [MemberField, Buffer][]) {
      columns.push(encryptedColumn(field));
      values.push(sealed);
    }
    for (const [field, index] of Object.entries(member.blindIndexes) as [MemberField, Buffer][]) {
      columns.push(blindIndexColumn(field));
      values.push(index);
    }
    const n = values.length;
    values.push(
      member.keyVersion,
      JSON.stringify(member.wrappedKey),
      member.wrappedKey.kek,
      ...changeValues(change),
    );
    const rows = await runPrepared<Row>(
      em,
      preparedStatement(
        'member_insert',
        `with m as (
           insert into member (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})
           on conflict (source_partner_id, source_ref) do nothing returning id, organization_id, version, created_at),
         k as (insert into member_key (member_id, version, wrapped, kek, created_at)
           select id, $${n + 1}::integer, $${n + 2}::jsonb, $${n + 3}::varchar, created_at from m),
         c as (insert into member_change (${CHANGE_COLUMNS})
           select id, organization_id, version, 'create', $${n + 7}::text[], $${n + 4}::varchar, $${n + 5}::timestamptz, $${n + 6}::timestamptz from m)
         select id from m`,
      ),
      values,
    );
    return rows.length > 0;
  }

  /** Whether a member with this id was ever created (live or a deletion tombstone). */
  async exists(memberId: string): Promise<boolean> {
    const rows = await this.em.execute<Row[]>('select 1 from member where id = ?', [memberId]);
    return rows.length > 0;
  }

  /** Which source created a member and its own id for it (opaque ids, no ePHI); null if not a source's. */
  async sourceOf(
    organizationId: string,
    memberId: string,
  ): Promise<{ partnerId: string; sourceRef: string } | null> {
    const rows = await this.em.execute<Row[]>(
      `select source_partner_id, source_ref from member where organization_id = ? and id = ?`,
      [organizationId, memberId],
    );
    const row = rows[0];
    if (!row?.source_partner_id || !row.source_ref) return null;
    return { partnerId: row.source_partner_id as string, sourceRef: row.source_ref as string };
  }

  async idBySourceRef(sourcePartnerId: string, sourceRef: string): Promise<string | null> {
    const rows = await this.em.execute<Row[]>(
      `select id from member where source_partner_id = ? and source_ref = ?`,
      [sourcePartnerId, sourceRef],
    );
    return (rows[0]?.id as string | undefined) ?? null;
  }

  /** One live member with the ciphertexts of `fields` only (minimum necessary starts at the SELECT). */
  async findLive(memberId: string, fields: readonly MemberField[]): Promise<StoredMember | null> {
    const rows = await runPrepared<Row>(this.em, memberReadStatement(fields), [memberId]);
    return rows[0] ? toStored(rows[0], fields) : null;
  }

  /** Live members among `memberIds` in the given organizations, in one read (a change feed page's members). */
  async findLiveMany(
    organizationIds: readonly string[],
    memberIds: readonly string[],
    fields: readonly MemberField[],
  ): Promise<StoredMember[]> {
    if (memberIds.length === 0) return [];
    const rows = await runPrepared<Row>(
      this.em,
      preparedStatement(
        'member_read_many',
        `select ${selectList(fields)} from member m left join member_key k on k.member_id = m.id
         where m.id = any($1::text[]) and m.organization_id = any($2::text[]) and m.status <> 'deleted'`,
      ),
      [memberIds, organizationIds],
    );
    return rows.map((r) => toStored(r, fields));
  }

  /** A keyset page of live members of the given organizations, ordered by (updated_at, id). */
  async page(
    organizationIds: readonly string[],
    fields: readonly MemberField[],
    options: { after?: { updatedAt: string; id: string }; updatedSince?: string; limit: number },
  ): Promise<StoredMember[]> {
    const values: unknown[] = [organizationIds, options.limit];
    const where = ['m.organization_id = any($1::text[])', "m.status <> 'deleted'"];
    if (options.updatedSince) {
      values.push(options.updatedSince);
      where.push(`m.updated_at >= $${values.length}::timestamptz`);
    }
    if (options.after) {
      values.push(options.after.updatedAt, options.after.id);
      where.push(`(m.updated_at, m.id) > ($${values.length - 1}::timestamptz, $${values.length})`);
    }
    const rows = await runPrepared<Row>(
      this.em,
      preparedStatement(
        'member_page',
        `select ${selectList(fields)} from member m left join member_key k on k.member_id = m.id
         where ${where.join(' and ')} order by m.updated_at, m.id limit $2`,
      ),
      values,
    );
    return rows.map((r) => toStored(r, fields));
  }

  /**
   * Locks a live member and its data key for a change, with the ciphertexts of all fields. Both
   * rows: a write that waited on a re-encryption batch must see the key that batch committed
   * (Postgres re-reads only the locked rows after the wait).
   */
  async lockLive(em: EntityManager, memberId: string): Promise<StoredMember | null> {
    const rows = await runPrepared<Row>(
      em,
      preparedStatement(
        'member_lock',
        `select ${selectList(MEMBER_FIELD_NAMES)} from member m join member_key k on k.member_id = m.id
         where m.id = $1 and m.status <> 'deleted' for update of m, k`,
      ),
      [memberId],
    );
    return rows[0] ? toStored(rows[0], MEMBER_FIELD_NAMES) : null;
  }

  /** `lockLive` plus each field's stamp (`field_meta`), for a change decided by conflict policy. */
  async lockLiveStamped(em: EntityManager, memberId: string): Promise<StampedMember | null> {
    const rows = await runPrepared<Row>(
      em,
      preparedStatement(
        'member_lock_stamped',
        `select ${selectList(MEMBER_FIELD_NAMES)}, m.field_meta from member m join member_key k on k.member_id = m.id
         where m.id = $1 and m.status <> 'deleted' for update of m, k`,
      ),
      [memberId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      ...toStored(row, MEMBER_FIELD_NAMES),
      fieldMeta: (row.field_meta as StampedMember['fieldMeta'] | null) ?? {},
    };
  }

  /** Locks a live member for deletion (the member row; its key row goes with it), even one whose key is lost. */
  async lockForDeletion(em: EntityManager, memberId: string): Promise<LockedTombstoneCandidate | null> {
    const rows = await runPrepared<Row>(
      em,
      preparedStatement(
        'member_lock_delete',
        `select id, organization_id, version, field_meta from member where id = $1 and status <> 'deleted' for update`,
      ),
      [memberId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id as string,
      organizationId: row.organization_id as string,
      version: Number(row.version),
      fields: Object.keys((row.field_meta as Record<string, unknown> | null) ?? {}) as MemberField[],
    };
  }

  /**
   * Writes new ciphertexts and records the change, in one statement, only while the member's data
   * key is still the version the values were sealed with; returns the new version, or null when
   * the key moved on (the caller must not have sealed without holding `lockLive`'s locks).
   */
  async updateFields(
    em: EntityManager,
    memberId: string,
    update: FieldUpdate,
    change: MemberChange,
  ): Promise<number | null> {
    const values: unknown[] = [memberId, JSON.stringify(update.fieldMeta), update.now, update.keyVersion];
    const sets: string[] = [];
    for (const [field, sealed] of Object.entries(update.ciphertexts) as [MemberField, Buffer][]) {
      values.push(sealed);
      sets.push(`"${encryptedColumn(field)}" = $${values.length}`);
    }
    for (const [field, index] of Object.entries(update.blindIndexes) as [MemberField, Buffer][]) {
      values.push(index);
      sets.push(`"${blindIndexColumn(field)}" = $${values.length}`);
    }
    const n = values.length;
    values.push(...changeValues(change));
    const rows = await runPrepared<Row>(
      em,
      preparedStatement(
        'member_update',
        `with u as (
           update member m set ${[...sets, 'field_meta = m.field_meta || $2::jsonb', 'version = m.version + 1', 'updated_at = $3::timestamptz'].join(', ')}
           where m.id = $1 and exists (select 1 from member_key k where k.member_id = m.id and k.version = $4::integer)
           returning m.id, m.organization_id, m.version),
         c as (insert into member_change (${CHANGE_COLUMNS})
           select id, organization_id, version, 'update', $${n + 4}::text[], $${n + 1}::varchar, $${n + 2}::timestamptz, $${n + 3}::timestamptz from u)
         select version from u`,
      ),
      values,
    );
    return rows[0] ? Number(rows[0].version) : null;
  }

  /**
   * Crypto-shredding, one statement: the data key row is deleted, every ciphertext and blind index
   * cleared, and the deletion recorded; the tombstone keeps id, organization, status and version.
   */
  async shred(em: EntityManager, memberId: string, now: Date, change: MemberChange): Promise<number> {
    const cleared = [...ALL_COLUMNS, ...BLIND_INDEXED_FIELDS.map(blindIndexColumn)].map(
      (c) => `"${c}" = null`,
    );
    const rows = await runPrepared<Row>(
      em,
      preparedStatement(
        'member_shred',
        `with k as (delete from member_key where member_id = $1),
         u as (
           update member set ${cleared.join(', ')}, field_meta = '{}', status = 'deleted', version = version + 1, updated_at = $2::timestamptz
           where id = $1 returning id, organization_id, version),
         c as (insert into member_change (${CHANGE_COLUMNS})
           select id, organization_id, version, 'delete', $6::text[], $3::varchar, $4::timestamptz, $5::timestamptz from u)
         select version from u`,
      ),
      [memberId, now, ...changeValues(change)],
    );
    return Number(rows[0].version);
  }

  /** The next batch of data keys after `after`, locked for re-wrapping (key rows only). */
  async lockKeysAfter(
    em: EntityManager,
    after: string | null,
    limit: number,
  ): Promise<Array<{ memberId: string; version: number; wrapped: WrappedSecret }>> {
    const rows = await em.execute<Row[]>(
      `select member_id, version, wrapped from member_key where member_id > ? order by member_id limit ? for update`,
      [after ?? '', limit],
    );
    return rows.map((r) => ({
      memberId: r.member_id as string,
      version: Number(r.version),
      wrapped: r.wrapped as WrappedSecret,
    }));
  }

  /** The next batch of live members with their keys, member row locked first (the order deletion uses). */
  async lockMembersAfter(em: EntityManager, after: string | null, limit: number): Promise<StoredMember[]> {
    const rows = await em.execute<Row[]>(
      `select ${selectList(MEMBER_FIELD_NAMES)} from member m join member_key k on k.member_id = m.id
       where m.id > ? and m.status <> 'deleted' order by m.id limit ? for update of m, k`,
      [after ?? '', limit],
    );
    return rows.map((r) => toStored(r, MEMBER_FIELD_NAMES));
  }

  async replaceKey(
    em: EntityManager,
    memberId: string,
    version: number,
    wrapped: WrappedSecret,
  ): Promise<void> {
    await em.execute(`update member_key set version = ?, wrapped = ?, kek = ? where member_id = ?`, [
      version,
      JSON.stringify(wrapped),
      wrapped.kek,
      memberId,
    ]);
  }

  /** Replaces ciphertexts without a data change (re-encryption): version, ETag and change log stay. */
  async replaceCiphertexts(
    em: EntityManager,
    memberId: string,
    ciphertexts: Partial<Record<MemberField, Buffer>>,
  ): Promise<void> {
    const fields = Object.keys(ciphertexts) as MemberField[];
    if (fields.length === 0) return;
    await em.execute(
      `update member set ${fields.map((f) => `"${encryptedColumn(f)}" = ?`).join(', ')} where id = ?`,
      [...fields.map((f) => ciphertexts[f]), memberId],
    );
  }

  /** Ids of live members whose blind index for `field` equals `index`, optionally within one organization. */
  async findByBlindIndex(
    field: MemberField,
    index: Buffer,
    organizationId?: string,
  ): Promise<Array<{ id: string; organizationId: string }>> {
    const rows = await this.em.execute<Row[]>(
      `select id, organization_id from member where "${blindIndexColumn(field)}" = ? and status <> 'deleted'${organizationId ? ' and organization_id = ?' : ''} limit 100`,
      organizationId ? [index, organizationId] : [index],
    );
    return rows.map((r) => ({ id: r.id as string, organizationId: r.organization_id as string }));
  }
}
