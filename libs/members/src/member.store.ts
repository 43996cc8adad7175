import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { WrappedSecret } from '@app/crypto';
import {
  BLIND_INDEXED_FIELDS,
  blindIndexColumn,
  encryptedColumn,
  MEMBER_FIELD_NAMES,
  type MemberField,
} from './catalog/field-catalog';

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

type Row = Record<string, unknown>;

const ALL_COLUMNS = MEMBER_FIELD_NAMES.map(encryptedColumn);

function selectList(fields: readonly MemberField[]): string {
  const encrypted = fields.map((f) => `m."${encryptedColumn(f)}"`).join(', ');
  return `m.id, m.organization_id, m.version, m.status, m.updated_at, k.version as key_version, k.wrapped as key_wrapped${encrypted ? `, ${encrypted}` : ''}`;
}

/** Organization ids are opaque `org_` ids; the literal is built only from values that match. */
function orgArray(ids: readonly string[]): string {
  if (!ids.every((id) => /^org_[0-9A-HJKMNP-TV-Z]{26}$/.test(id)))
    throw new Error('organization ids must be opaque org_ ids');
  return `{${ids.join(',')}}`;
}

function toStored(row: Row, fields: readonly MemberField[]): StoredMember {
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

/**
 * The member table on the hot paths: plain SQL on MikroORM's connection (no unit of work), and
 * every tenant query takes the organizations it may touch as a required argument.
 */
@Injectable()
export class MemberStore {
  constructor(private readonly em: EntityManager) {}

  /** Inserts a member and its wrapped data key; returns null when the sourceRef already exists. */
  async insert(em: EntityManager, member: NewMember): Promise<boolean> {
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
    const inserted = await em.execute<Row[]>(
      `insert into member (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})
       on conflict (source_partner_id, source_ref) do nothing returning id`,
      values,
    );
    if (inserted.length === 0) return false;
    await em.execute(
      `insert into member_key (member_id, version, wrapped, kek, created_at) values (?, ?, ?, ?, ?)`,
      [member.id, member.keyVersion, JSON.stringify(member.wrappedKey), member.wrappedKey.kek, member.now],
    );
    return true;
  }

  /** Whether a member with this id was ever created (live or a deletion tombstone). */
  async exists(memberId: string): Promise<boolean> {
    const rows = await this.em.execute<Row[]>('select 1 from member where id = ?', [memberId]);
    return rows.length > 0;
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
    const rows = await this.em.execute<Row[]>(
      `select ${selectList(fields)} from member m left join member_key k on k.member_id = m.id where m.id = ? and m.status <> 'deleted'`,
      [memberId],
    );
    return rows[0] ? toStored(rows[0], fields) : null;
  }

  /** A keyset page of live members of the given organizations, ordered by (updated_at, id). */
  async page(
    organizationIds: readonly string[],
    fields: readonly MemberField[],
    options: { after?: { updatedAt: string; id: string }; updatedSince?: string; limit: number },
  ): Promise<StoredMember[]> {
    const where = ['m.organization_id = any(?::text[])', "m.status <> 'deleted'"];
    const params: unknown[] = [orgArray(organizationIds)];
    if (options.updatedSince) {
      where.push('m.updated_at >= ?');
      params.push(options.updatedSince);
    }
    if (options.after) {
      where.push('(m.updated_at, m.id) > (?::timestamptz, ?)');
      params.push(options.after.updatedAt, options.after.id);
    }
    params.push(options.limit);
    const rows = await this.em.execute<Row[]>(
      `select ${selectList(fields)} from member m left join member_key k on k.member_id = m.id
       where ${where.join(' and ')} order by m.updated_at, m.id limit ?`,
      params,
    );
    return rows.map((r) => toStored(r, fields));
  }

  /** Locks a live member for a change, with the ciphertexts of all fields. */
  async lockLive(em: EntityManager, memberId: string): Promise<StoredMember | null> {
    const rows = await em.execute<Row[]>(
      `select ${selectList(MEMBER_FIELD_NAMES)} from member m left join member_key k on k.member_id = m.id
       where m.id = ? and m.status <> 'deleted' for update of m`,
      [memberId],
    );
    return rows[0] ? toStored(rows[0], MEMBER_FIELD_NAMES) : null;
  }

  async updateFields(
    em: EntityManager,
    memberId: string,
    ciphertexts: Partial<Record<MemberField, Buffer>>,
    fieldMeta: Record<string, unknown>,
    now: Date,
  ): Promise<number> {
    const sets = Object.keys(ciphertexts).map((f) => `"${encryptedColumn(f as MemberField)}" = ?`);
    const rows = await em.execute<Row[]>(
      `update member set ${[...sets, 'field_meta = field_meta || ?::jsonb', 'version = version + 1', 'updated_at = ?'].join(', ')}
       where id = ? returning version`,
      [...Object.values(ciphertexts), JSON.stringify(fieldMeta), now, memberId],
    );
    return Number(rows[0].version);
  }

  /**
   * Crypto-shredding: the data key row is deleted and every ciphertext and blind index cleared;
   * the tombstone keeps id, organization, status and version for the audit trail.
   */
  async shred(em: EntityManager, memberId: string, now: Date): Promise<number> {
    await em.execute(`delete from member_key where member_id = ?`, [memberId]);
    const cleared = [...ALL_COLUMNS, ...BLIND_INDEXED_FIELDS.map(blindIndexColumn)].map(
      (c) => `"${c}" = null`,
    );
    const rows = await em.execute<Row[]>(
      `update member set ${cleared.join(', ')}, field_meta = '{}', status = 'deleted', version = version + 1, updated_at = ?
       where id = ? returning version`,
      [now, memberId],
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

  /** Replaces ciphertexts without a data change (re-encryption): version and ETag stay. */
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
