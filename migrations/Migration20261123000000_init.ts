import { Migration } from '@mikro-orm/migrations';

/** Organizations and the member table shell; the members issue adds the encrypted fields. */
export class Migration20261123000000_init extends Migration {
  override up(): void {
    this.addSql(`
      create table "organization" (
        "id" varchar(30) primary key,
        "name" varchar(200) not null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now()
      );`);
    this.addSql(`
      create table "member" (
        "id" varchar(30) primary key check ("id" ~ '^mbr_[0-9A-HJKMNP-TV-Z]{26}$'),
        "organization_id" varchar(30) not null references "organization" ("id") on delete restrict,
        "version" bigint not null default 1 check ("version" >= 1),
        "status" varchar(16) not null default 'active' check ("status" in ('active', 'terminated', 'deleted')),
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now()
      );`);
    // Keyset pagination of a partner's organizations walks (organization_id, updated_at, id).
    this.addSql(`create index "member_org_updated_idx" on "member" ("organization_id", "updated_at", "id");`);
  }

  override down(): void {
    this.addSql('drop table if exists "member";');
    this.addSql('drop table if exists "organization";');
  }
}
