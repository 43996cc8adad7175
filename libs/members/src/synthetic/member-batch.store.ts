import { Injectable } from '@nestjs/common';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import {
  BLIND_INDEXED_FIELDS,
  blindIndexColumn,
  encryptedColumn,
  MEMBER_FIELD_NAMES,
} from '../catalog/field-catalog';
import type { MemberChange } from '../member-change';
import type { NewMember } from '../member.store';

/** A member to insert in bulk, with its `create` change; seeded members have no source partner. */
export type BulkMember = Omit<NewMember, 'sourcePartnerId'> & {
  sourcePartnerId: string | null;
  change: MemberChange;
};

// Every catalog column in every row (null where a member has no value), so one statement fits all rows.
const MEMBER_COLUMNS = [
  'id',
  'organization_id',
  'version',
  'status',
  'source_partner_id',
  'source_ref',
  'field_meta',
  'created_at',
  'updated_at',
  ...MEMBER_FIELD_NAMES.map(encryptedColumn),
  ...BLIND_INDEXED_FIELDS.map(blindIndexColumn),
];
const KEY_COLUMNS = ['member_id', 'version', 'wrapped', 'kek', 'created_at'];
const CHANGE_COLUMNS = [
  'member_id',
  'organization_id',
  'version',
  'kind',
  'fields',
  'sender',
  'occurred_at',
  'recorded_at',
];

/** Postgres binds at most 65,535 parameters per statement. */
export const MAX_BULK_MEMBERS = Math.floor(65_535 / MEMBER_COLUMNS.length);

function insertSql(table: string, columns: readonly string[], rows: number): string {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array(rows).fill(tuple).join(', ')}`;
}

/**
 * Multi-row inserts of members, their wrapped data keys and their `create` changes (the rows
 * MemberStore.insert writes one member at a time), for seeding: three statements per batch. The values travel
 * as bind parameters on the transaction's connection (ciphertexts as binary), not inlined into the
 * SQL text as `em.execute` does, which would hex-encode every ciphertext into a multi-megabyte string.
 */
@Injectable()
export class MemberBatchStore {
  async insertMany(em: EntityManager, members: readonly BulkMember[]): Promise<void> {
    if (members.length === 0) return;
    if (members.length > MAX_BULK_MEMBERS)
      throw new RangeError(`at most ${MAX_BULK_MEMBERS} members per batch`);
    const trx = em.getTransactionContext<Knex.Transaction>();
    if (!trx) throw new Error('MemberBatchStore.insertMany runs inside a transaction');
    const memberValues: Knex.Value[] = [];
    const keyValues: Knex.Value[] = [];
    const changeValues: Knex.Value[] = [];
    for (const m of members) {
      memberValues.push(
        m.id,
        m.organizationId,
        1,
        'active',
        m.sourcePartnerId,
        m.sourceRef,
        JSON.stringify(m.fieldMeta),
        m.now,
        m.now,
        ...MEMBER_FIELD_NAMES.map((f) => m.ciphertexts[f] ?? null),
        ...BLIND_INDEXED_FIELDS.map((f) => m.blindIndexes[f] ?? null),
      );
      keyValues.push(m.id, m.keyVersion, JSON.stringify(m.wrappedKey), m.wrappedKey.kek, m.now);
      // Catalog field names only (letters), so the array literal needs no quoting.
      const fields = `{${m.change.fields.join(',')}}`;
      changeValues.push(
        m.id,
        m.organizationId,
        1,
        'create',
        fields,
        m.change.sender,
        m.change.occurredAt,
        m.change.recordedAt,
      );
    }
    await trx.raw(insertSql('member', MEMBER_COLUMNS, members.length), memberValues);
    await trx.raw(insertSql('member_key', KEY_COLUMNS, members.length), keyValues);
    await trx.raw(insertSql('member_change', CHANGE_COLUMNS, members.length), changeValues);
  }
}
