import { Migration } from '@mikro-orm/migrations';

/**
 * The BAA registry keeps every version of a vendor's BAA (auditors ask what was in force on a
 * given day, and who changed it and why), a breach-notification contact (a business contact, not
 * PHI) and a subprocessor's kind of service. Versions and sent expiry warnings are append-only for
 * the app role: a BAA's history and the record that a warning went out must not vanish.
 */
export class Migration20261201000000_vendor_registry extends Migration {
  override up(): void {
    this.addSql(`
      alter table "vendor"
        add column "service" varchar(30)
          check ("service" in ('cloud', 'logging', 'analytics', 'error_tracking', 'siem', 'kms', 'other')),
        add column "breach_contact_name" varchar(200),
        add column "breach_contact_email" varchar(254),
        add column "breach_contact_phone" varchar(40),
        add column "baa_version" integer not null default 1 check ("baa_version" >= 1),
        add check ("role" = 'subprocessor' or "service" is null);`);
    this.addSql(`create index "vendor_created_at_id_idx" on "vendor" ("created_at", "id");`);
    this.addSql(`
      create table "vendor_baa_version" (
        "vendor_id" varchar(30) not null references "vendor" ("id"),
        "version" integer not null check ("version" >= 1),
        "change" varchar(20) not null
          check ("change" in ('register', 'edit_draft', 'sign', 'amend', 'renew', 'expire', 'terminate')),
        "status" varchar(20) not null check ("status" in ('draft', 'signed', 'expired', 'terminated')),
        "signed_at" date,
        "effective_from" date,
        "expires_at" date,
        "document_sha256" char(64),
        "permitted_categories" text[] not null default '{}',
        "changed_at" timestamptz not null,
        "changed_by" varchar(60) not null,
        "reason" varchar(200),
        primary key ("vendor_id", "version")
      );`);
    // Vendors registered before the history existed get their current terms as version 1.
    this.addSql(`
      insert into "vendor_baa_version" ("vendor_id", "version", "change", "status", "signed_at",
        "effective_from", "expires_at", "document_sha256", "permitted_categories", "changed_at", "changed_by")
      select "id", 1, 'register', "baa_status", "baa_signed_at", "baa_effective_from", "baa_expires_at",
        "baa_document_sha256", "baa_permitted_categories", "created_at", 'migration'
      from "vendor";`);
    this.addSql(`
      create table "vendor_baa_warning" (
        "vendor_id" varchar(30) not null references "vendor" ("id"),
        "expires_at" date not null,
        "days_ahead" integer not null check ("days_ahead" in (30, 7)),
        "raised_at" timestamptz not null,
        primary key ("vendor_id", "expires_at", "days_ahead")
      );`);
    this.addSql(
      `revoke update, delete, truncate on "vendor_baa_version", "vendor_baa_warning" from msync_app;`,
    );
    this.addSql(`revoke delete, truncate on "vendor" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "vendor_baa_warning";');
    this.addSql('drop table if exists "vendor_baa_version";');
    this.addSql('drop index if exists "vendor_created_at_id_idx";');
    this.addSql(`
      alter table "vendor"
        drop column if exists "service",
        drop column if exists "breach_contact_name",
        drop column if exists "breach_contact_email",
        drop column if exists "breach_contact_phone",
        drop column if exists "baa_version";`);
    this.addSql(`grant delete on "vendor" to msync_app;`);
  }
}
