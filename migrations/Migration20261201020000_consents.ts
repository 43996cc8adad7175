import { Migration } from '@mikro-orm/migrations';

/**
 * Consents (issue 11): a partner whose purpose requires authorization sees a member only through
 * that member's consent in effect. Read on every page such a partner requests, through the partial
 * index of non-revoked consents per (partner, member); the admin list pages by (created_at, id).
 * Ids, category names, dates and an evidence hash only: no member value. A consent ends by
 * revocation (kept, with who and why), never by deletion, so the app role may not delete rows.
 */
export class Migration20261201020000_consents extends Migration {
  override up(): void {
    this.addSql(`
      create table "consent" (
        "id" varchar(30) primary key check ("id" ~ '^cns_[0-9A-HJKMNP-TV-Z]{26}$'),
        "member_id" varchar(30) not null references "member" ("id"),
        "organization_id" varchar(30) not null references "organization" ("id"),
        "partner_id" varchar(30) not null references "partner" ("id"),
        "purpose" varchar(40) not null,
        "categories" text[] not null check (cardinality("categories") between 1 and 16),
        "valid_from" timestamptz not null,
        "valid_until" timestamptz check ("valid_until" is null or "valid_until" > "valid_from"),
        "status" varchar(10) not null check ("status" in ('active', 'revoked')),
        "evidence_sha256" varchar(64) not null check ("evidence_sha256" ~ '^[0-9a-f]{64}$'),
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null,
        "revoked_at" timestamptz,
        "revoked_by" varchar(40),
        "revocation_reason" varchar(200),
        check (("status" = 'revoked') = ("revoked_at" is not null))
      );`);
    this.addSql(
      `create index "consent_active_lookup" on "consent" ("partner_id", "member_id") where "status" = 'active';`,
    );
    this.addSql(`create index "consent_created" on "consent" ("created_at", "id");`);
    this.addSql(`create index "consent_member" on "consent" ("member_id");`);
    this.addSql(`revoke delete, truncate on "consent" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "consent";');
  }
}
