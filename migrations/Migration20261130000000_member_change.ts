import { Migration } from '@mikro-orm/migrations';

/**
 * The member change log: one row per change of a member (create, field change, deletion), written
 * in the transaction of the change. It names the fields that changed (catalog names), never their
 * values. Sync, the outbox and the partner change feed read it in `seq` order. The service may
 * only append and read it.
 */
export class Migration20261130000000_member_change extends Migration {
  override up(): void {
    this.addSql(`
      create table "member_change" (
        "seq" bigserial primary key,
        "member_id" varchar(30) not null references "member" ("id"),
        "organization_id" varchar(30) not null references "organization" ("id"),
        "version" bigint not null check ("version" >= 1),
        "kind" varchar(16) not null check ("kind" in ('create', 'update', 'delete')),
        "fields" text[] not null,
        "sender" varchar(64) not null,
        "occurred_at" timestamptz not null,
        "recorded_at" timestamptz not null
      );`);
    this.addSql(
      `create unique index "member_change_member_version_uq" on "member_change" ("member_id", "version");`,
    );
    // A partner's feed walks its organizations' changes in sequence order.
    this.addSql(`create index "member_change_org_seq_idx" on "member_change" ("organization_id", "seq");`);
    // Default privileges grant msync_app update and delete on new tables: the log is append-only.
    this.addSql(`revoke all on "member_change" from msync_app;`);
    this.addSql(`grant select, insert on "member_change" to msync_app;`);
    this.addSql(`grant usage on sequence "member_change_seq_seq" to msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "member_change";');
  }
}
