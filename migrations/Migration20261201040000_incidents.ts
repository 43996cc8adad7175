import { Migration } from '@mikro-orm/migrations';

/**
 * Breach incidents (§164.400–414) and the members each one affects, computed once from the audit
 * trail when the incident is recorded. The officer's free text (description, factor notes, what
 * we are doing) may hold PHI by mistake, so it is sealed under the incident's own data key; the
 * rest is dates, counts, levels and opaque ids. Incidents are compliance records kept six years:
 * the app role may not delete them.
 */
export class Migration20261201040000_incidents extends Migration {
  override up(): void {
    this.addSql(`
      create table "incident" (
        "id" varchar(30) primary key,
        "discovered_at" timestamptz not null,
        "text_enc" bytea not null,
        "text_key" jsonb not null,
        "client_id" varchar(30),
        "window_from" timestamptz,
        "window_to" timestamptz,
        "affected_count" integer not null check ("affected_count" >= 0),
        "categories" text[] not null default '{}',
        "residents_by_state" jsonb not null default '{}',
        "assessment" jsonb,
        "assessed_at" timestamptz,
        "notification" jsonb,
        "contained_at" timestamptz,
        "contained_by" varchar(40),
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null,
        "updated_at" timestamptz not null,
        check ("window_from" is null or "window_to" is null or "window_from" < "window_to")
      );`);
    this.addSql(`create index "incident_created_idx" on "incident" ("created_at" desc, "id" desc);`);
    this.addSql(`
      create table "incident_member" (
        "incident_id" varchar(30) not null references "incident" ("id"),
        "member_id" varchar(30) not null,
        "organization_id" varchar(30) not null,
        primary key ("incident_id", "member_id")
      );`);
    this.addSql(`revoke delete, truncate on "incident" from msync_app;`);
    // The affected list is computed once, at recording: it is never rewritten afterwards.
    this.addSql(`revoke update, delete, truncate on "incident_member" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "incident_member";');
    this.addSql('drop table if exists "incident";');
  }
}
