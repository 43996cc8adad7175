import { Injectable } from '@nestjs/common';
import { EntityManager, type Knex } from '@mikro-orm/postgresql';
import { encryptedColumn, MEMBER_FIELD_NAMES } from '../catalog/field-catalog';
import { toStored, type StoredMember } from '../member.store';

type Row = Record<string, unknown>;

const COLUMNS = [
  'm.id',
  'm.organization_id',
  'm.version',
  'm.status',
  'm.updated_at',
  'k.version as key_version',
  'k.wrapped as key_wrapped',
  ...MEMBER_FIELD_NAMES.map((f) => `m."${encryptedColumn(f)}"`),
].join(', ');

/**
 * Live members as of one moment, read in id order: a read-only REPEATABLE READ transaction, so the
 * count and every page see the same members however long the reading takes. Holds one pooled
 * connection until closed.
 */
export class MemberSnapshot {
  constructor(
    private readonly trx: Knex.Transaction,
    /** Null for every organization (an admin export); otherwise only this one's members. */
    private readonly organizationId: string | null,
  ) {}

  async count(): Promise<number> {
    const { sql, bindings } = this.where();
    const result = await this.trx.raw<{ rows: Row[] }>(
      `select count(*)::int as n from member m where ${sql}`,
      bindings,
    );
    return Number(result.rows[0].n);
  }

  /** Up to `limit` live members after `after` (by id), with every field's ciphertext and the data key (if any). */
  async pageAfter(after: string | null, limit: number): Promise<StoredMember[]> {
    const { sql, bindings } = this.where();
    const result = await this.trx.raw<{ rows: Row[] }>(
      `select ${COLUMNS} from member m left join member_key k on k.member_id = m.id
        where ${sql} and m.id > ? order by m.id limit ?`,
      [...bindings, after ?? '', limit],
    );
    return result.rows.map((row) => toStored(row, MEMBER_FIELD_NAMES));
  }

  /** Ends the snapshot (idempotent): nothing was written, so committing and rolling back are alike. */
  async close(): Promise<void> {
    if (!this.trx.isCompleted()) await this.trx.commit();
  }

  private where(): { sql: string; bindings: Knex.Value[] } {
    return this.organizationId
      ? { sql: `m.status <> 'deleted' and m.organization_id = ?`, bindings: [this.organizationId] }
      : { sql: `m.status <> 'deleted'`, bindings: [] };
  }
}

/** Opens member snapshots for whole-table reads (the de-identified export); never for the hot paths. */
@Injectable()
export class MemberSnapshotStore {
  constructor(private readonly em: EntityManager) {}

  async open(organizationId: string | null): Promise<MemberSnapshot> {
    const trx = await this.em
      .getConnection()
      .getKnex()
      .transaction({ isolationLevel: 'repeatable read', readOnly: true });
    return new MemberSnapshot(trx, organizationId);
  }
}
