import { Migration } from '@mikro-orm/migrations';

/**
 * Sync ingest: the events applied per source (so an event arriving by webhook and again by polling
 * is applied once), and reconciliation cases (a critical field both sides changed; the incoming
 * values kept sealed under the member's data key until a compliance officer decides).
 */
export class Migration20261130120000_sync_ingest extends Migration {
  override up(): void {
    this.addSql(`
      create table "sync_applied_event" (
        "source_partner_id" varchar(30) not null references "partner" ("id"),
        "event_id" varchar(100) not null,
        "member_id" varchar(30) not null references "member" ("id"),
        "version" bigint not null,
        "applied_at" timestamptz not null,
        primary key ("source_partner_id", "event_id")
      );`);
    // Written with the change it records and read to dedupe: never updated nor deleted by the service.
    this.addSql(`revoke all on "sync_applied_event" from msync_app;`);
    this.addSql(`grant select, insert on "sync_applied_event" to msync_app;`);

    this.addSql(`
      create table "reconciliation_case" (
        "id" varchar(30) primary key,
        "member_id" varchar(30) not null references "member" ("id"),
        "organization_id" varchar(30) not null references "organization" ("id"),
        "source_partner_id" varchar(30) not null references "partner" ("id"),
        "event_id" varchar(100) not null,
        "fields" text[] not null,
        "status" varchar(16) not null check ("status" in ('open', 'resolved')),
        "opened_at" timestamptz not null,
        "proposal_occurred_at" timestamptz not null,
        "proposal_key_version" integer not null,
        "proposal_enc" bytea not null,
        "resolution" varchar(16) check ("resolution" in ('keep_ours', 'take_theirs', 'new_value')),
        "resolved_at" timestamptz,
        "resolved_by" varchar(40),
        check (("status" = 'resolved') = ("resolved_at" is not null)),
        check (("status" = 'resolved') = ("resolution" is not null))
      );`);
    // Officers list open cases oldest first; a member's cases are found by member.
    this.addSql(
      `create index "reconciliation_case_status_idx" on "reconciliation_case" ("status", "opened_at", "id");`,
    );
    this.addSql(`create index "reconciliation_case_member_idx" on "reconciliation_case" ("member_id");`);
    this.addSql(`revoke delete, truncate on "reconciliation_case" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "reconciliation_case";');
    this.addSql('drop table if exists "sync_applied_event";');
  }
}
