import { Migration } from '@mikro-orm/migrations';

/**
 * The transactional outbox: one row per member change, written in the transaction of the change,
 * that the worker's relay moves into the BullMQ `deliveries` queue (jobId = id) and then marks
 * relayed; relayed rows are pruned after a retention. No ePHI: opaque ids, a version, the kind of
 * change and data category names (checked against the list, so no value can be stored here).
 */
export class Migration20261130130000_outbox extends Migration {
  override up(): void {
    this.addSql(`
      create table "outbox" (
        "id" varchar(30) primary key check ("id" ~ '^obx_[0-9A-HJKMNP-TV-Z]{26}$'),
        "topic" varchar(40) not null check ("topic" ~ '^[a-z]+(\\.[a-z_]+)+$'),
        "member_id" varchar(30) not null,
        "organization_id" varchar(30) not null,
        "member_version" bigint not null check ("member_version" >= 1),
        "change_kind" varchar(10) not null check ("change_kind" in ('created', 'updated', 'deleted')),
        "categories" text[] not null check ("categories" <@ array['identity', 'government_id', 'contact',
          'membership', 'coverage', 'dependents', 'wellness', 'preferences']::text[]),
        "sender" varchar(64) not null,
        "occurred_at" timestamptz not null,
        "created_at" timestamptz not null,
        "relayed_at" timestamptz,
        "attempts" integer not null default 0 check ("attempts" >= 0)
      );`);
    // The relay's scan: unrelayed rows in id (time) order; stays small however large the table grows.
    this.addSql(`create index "outbox_unrelayed_idx" on "outbox" ("id") where "relayed_at" is null;`);
    // The prune deletes relayed rows by age.
    this.addSql(
      `create index "outbox_relayed_at_idx" on "outbox" ("relayed_at") where "relayed_at" is not null;`,
    );
  }

  override down(): void {
    this.addSql('drop table if exists "outbox";');
  }
}
