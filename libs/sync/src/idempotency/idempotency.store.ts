import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '@app/common';
import type { WrappedSecret } from '@app/crypto';
import type { ExistingRecord } from './existing-record-verdict';

/** Who a key belongs to: the authenticated principal's kind and id (a partner client, an API key, an admin). */
export interface IdempotencyClient {
  kind: string;
  id: string;
}

/** One execution's hold on a key: only the holder may store its answer or free the key. */
export interface IdempotencyClaim {
  client: IdempotencyClient;
  keyHash: Buffer;
  claimId: string;
}

export interface StoredRecord extends ExistingRecord {
  responseStatus: number | null;
  dataKeyId: string | null;
  responseSealed: Buffer | null;
}

type Row = Record<string, unknown>;

const CLAIM = preparedStatement(
  'idempotency_claim',
  // A stale running record of the same request is taken over: its process died mid-request.
  `insert into idempotency_record as r
     (client_kind, client_id, key_hash, fingerprint, status, claim_id, locked_at, created_at)
   values ($1, $2, $3, $4, 'running', $5, $6, $6)
   on conflict (client_kind, client_id, key_hash) do update
     set claim_id = excluded.claim_id, locked_at = excluded.locked_at
     where r.status = 'running' and r.locked_at < $7 and r.fingerprint = excluded.fingerprint
   returning 1 as claimed`,
);

const FIND = preparedStatement(
  'idempotency_find',
  `select fingerprint, status, response_status, data_key_id, response_sealed from idempotency_record
   where client_kind = $1 and client_id = $2 and key_hash = $3`,
);

const COMPLETE = preparedStatement(
  'idempotency_complete',
  `update idempotency_record
   set status = 'completed', completed_at = $5, response_status = $6, data_key_id = $7, response_sealed = $8
   where client_kind = $1 and client_id = $2 and key_hash = $3 and claim_id = $4 and status = 'running'
   returning 1 as done`,
);

const RELEASE = preparedStatement(
  'idempotency_release',
  `delete from idempotency_record
   where client_kind = $1 and client_id = $2 and key_hash = $3 and claim_id = $4 and status = 'running'`,
);

const DATA_KEY_INSERT = preparedStatement(
  'idempotency_data_key_insert',
  `insert into idempotency_data_key (id, wrapped, created_at) values ($1, $2, $3) on conflict (id) do nothing`,
);

const DATA_KEY_FIND = preparedStatement(
  'idempotency_data_key_find',
  `select wrapped from idempotency_data_key where id = $1`,
);

/**
 * The idempotency tables: named prepared statements on MikroORM's connection (no unit of work, as
 * on every hot path; docs/sql.md). Each call is its own short autocommit statement, outside the
 * handler's transaction, so a claim is visible to a concurrent request at once.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly em: EntityManager) {}

  /** True when this claim now holds the key (a new record, or a stale running one taken over). */
  async claim(claim: IdempotencyClaim, fingerprint: Buffer, now: Date, staleBefore: Date): Promise<boolean> {
    const rows = await runPrepared<Row>(this.em, CLAIM, [
      claim.client.kind,
      claim.client.id,
      claim.keyHash,
      fingerprint,
      claim.claimId,
      now,
      staleBefore,
    ]);
    return rows.length > 0;
  }

  async find(client: IdempotencyClient, keyHash: Buffer): Promise<StoredRecord | null> {
    const [row] = await runPrepared<Row>(this.em, FIND, [client.kind, client.id, keyHash]);
    if (!row) return null;
    return {
      fingerprint: row.fingerprint as Buffer,
      status: row.status as StoredRecord['status'],
      responseStatus: row.response_status === null ? null : Number(row.response_status),
      dataKeyId: (row.data_key_id as string | null) ?? null,
      responseSealed: (row.response_sealed as Buffer | null) ?? null,
    };
  }

  /** Stores the sealed answer; false when the claim was lost (taken over after its lease ran out). */
  async complete(
    claim: IdempotencyClaim,
    response: { status: number; dataKeyId: string; sealed: Buffer },
    now: Date,
  ): Promise<boolean> {
    const rows = await runPrepared<Row>(this.em, COMPLETE, [
      ...this.keyOf(claim),
      now,
      response.status,
      response.dataKeyId,
      response.sealed,
    ]);
    return rows.length > 0;
  }

  /** Frees the key for a retry (only while this claim still holds it). */
  async release(claim: IdempotencyClaim): Promise<void> {
    await runPrepared(this.em, RELEASE, this.keyOf(claim));
  }

  async findDataKey(id: string): Promise<WrappedSecret | null> {
    const [row] = await runPrepared<Row>(this.em, DATA_KEY_FIND, [id]);
    return row ? (row.wrapped as WrappedSecret) : null;
  }

  /** Inserts the data key of `id` unless another process did first (then the caller reads the winner). */
  async insertDataKey(id: string, wrapped: WrappedSecret, now: Date): Promise<void> {
    await runPrepared(this.em, DATA_KEY_INSERT, [id, JSON.stringify(wrapped), now]);
  }

  /** Deletes up to `limit` records created before `before`; answers how many went. */
  async deleteRecordsCreatedBefore(em: EntityManager, before: Date, limit: number): Promise<number> {
    const rows = await em.execute<Row[]>(
      `with gone as (
         delete from idempotency_record where ctid in (
           select ctid from idempotency_record where created_at < ? limit ?)
         returning 1)
       select count(*) as n from gone`,
      [before, limit],
    );
    return Number(rows[0].n);
  }

  /**
   * Deletes the data keys of days before `beforeDay` (YYYY-MM-DD): no record kept can use them, as a
   * record is sealed under the key of a day on or after its creation. The foreign key refuses (and
   * the sweep fails loudly) should one still be referenced.
   */
  async deleteDataKeysBefore(em: EntityManager, beforeDay: string): Promise<number> {
    const rows = await em.execute<Row[]>(
      `with gone as (delete from idempotency_data_key where id < ? returning 1) select count(*) as n from gone`,
      [beforeDay],
    );
    return Number(rows[0].n);
  }

  async countDataKeys(): Promise<number> {
    const rows = await this.em.fork().execute<Row[]>('select count(*) as n from idempotency_data_key');
    return Number(rows[0].n);
  }

  /** The data keys after `after` in id order, locked for a re-wrap in `em`'s transaction. */
  async lockDataKeysAfter(
    em: EntityManager,
    after: string | null,
    limit: number,
  ): Promise<Array<{ id: string; wrapped: WrappedSecret }>> {
    const rows = await em.execute<Row[]>(
      `select id, wrapped from idempotency_data_key where id > ? order by id limit ? for update`,
      [after ?? '', limit],
    );
    return rows.map((row) => ({ id: row.id as string, wrapped: row.wrapped as WrappedSecret }));
  }

  async replaceDataKey(em: EntityManager, id: string, wrapped: WrappedSecret): Promise<void> {
    await em.execute('update idempotency_data_key set wrapped = ? where id = ?', [
      JSON.stringify(wrapped),
      id,
    ]);
  }

  private keyOf(claim: IdempotencyClaim): unknown[] {
    return [claim.client.kind, claim.client.id, claim.keyHash, claim.claimId];
  }
}
