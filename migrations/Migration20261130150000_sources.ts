import { Migration } from '@mikro-orm/migrations';

/**
 * Polled sources: a membership system's change feed, its bearer token (wrapped by the KEK), the
 * poller's stored cursor and a backfill's own cursor, and the health the status route answers.
 * Counts and problem types only: nothing here is ePHI.
 */
export class Migration20261130150000_sources extends Migration {
  override up(): void {
    this.addSql(`
      create table "sync_source" (
        "id" varchar(30) primary key,
        "partner_id" varchar(30) not null references "partner" ("id"),
        "change_feed_url" varchar(2048) not null,
        "poll_interval_seconds" integer not null check ("poll_interval_seconds" between 10 and 86400),
        "token_wrapped" jsonb not null,
        "status" varchar(16) not null check ("status" in ('syncing', 'done', 'failed', 'paused')),
        "cursor" varchar(2048),
        "last_poll_at" timestamptz,
        "last_success_at" timestamptz,
        "newest_occurred_at" timestamptz,
        "last_error" varchar(80),
        "applied_count" bigint not null default 0,
        "rejected_count" bigint not null default 0,
        "last_rejected_type" varchar(200),
        "backfill_status" varchar(16) check ("backfill_status" in ('running', 'done', 'failed')),
        "backfill_cursor" varchar(2048),
        "backfill_processed" bigint not null default 0,
        "backfill_started_at" timestamptz,
        "backfill_finished_at" timestamptz,
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null
      );`);
    this.addSql(`create index "sync_source_partner_idx" on "sync_source" ("partner_id");`);
    this.addSql(`revoke delete, truncate on "sync_source" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "sync_source";');
  }
}
