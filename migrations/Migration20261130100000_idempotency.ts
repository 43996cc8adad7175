import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency-Key records: one per (client, key), holding the request's fingerprint and, once
 * answered, its response sealed with AES-256-GCM under a daily data key wrapped by the KEK. No
 * column holds ePHI in clear: the key is stored as an HMAC, the fingerprint is a hash.
 */
export class Migration20261130100000_idempotency extends Migration {
  override up(): void {
    this.addSql(`
      create table "idempotency_data_key" (
        "id" varchar(10) primary key check ("id" ~ '^\\d{4}-\\d{2}-\\d{2}$'),
        "wrapped" jsonb not null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`
      create table "idempotency_record" (
        "client_kind" varchar(16) not null,
        "client_id" varchar(64) not null,
        "key_hash" bytea not null check (length("key_hash") = 32),
        "fingerprint" bytea not null check (length("fingerprint") = 32),
        "status" varchar(10) not null check ("status" in ('running', 'completed')),
        "claim_id" uuid not null,
        "locked_at" timestamptz not null,
        "created_at" timestamptz not null,
        "completed_at" timestamptz,
        "response_status" smallint,
        "data_key_id" varchar(10) references "idempotency_data_key" ("id"),
        "response_sealed" bytea,
        primary key ("client_kind", "client_id", "key_hash"),
        check (("status" = 'completed') = ("response_sealed" is not null and "response_status" is not null
          and "data_key_id" is not null and "completed_at" is not null))
      );`);
    // The sweep deletes by age.
    this.addSql(`create index "idempotency_record_created_at_idx" on "idempotency_record" ("created_at");`);
  }

  override down(): void {
    this.addSql('drop table if exists "idempotency_record";');
    this.addSql('drop table if exists "idempotency_data_key";');
  }
}
