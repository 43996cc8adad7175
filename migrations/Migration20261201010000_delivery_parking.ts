import { Migration } from '@mikro-orm/migrations';

const CATEGORIES = `array['identity', 'government_id', 'contact', 'membership', 'coverage', 'dependents',
  'wellness', 'preferences']::text[]`;

/**
 * Deliveries refused because the partner's BAA is not in effect (or the partner is suspended) are
 * parked here instead of dropped, and put back on the queue when the BAA is renewed: the refused
 * attempt's opaque ids, version and category names only, checked so that no value can be stored.
 * The outbox also carries consent revocations now (a signed notice to the revoked partner), whose
 * rows have a consent id and purpose instead of a member version and kind of change.
 */
export class Migration20261201010000_delivery_parking extends Migration {
  override up(): void {
    this.addSql(`
      create table "parked_delivery" (
        "outbox_id" varchar(30) not null check ("outbox_id" ~ '^obx_[0-9A-HJKMNP-TV-Z]{26}$'),
        "subscription_id" varchar(30) not null,
        "partner_id" varchar(30) not null,
        "vendor_id" varchar(30) not null,
        "member_id" varchar(30) not null,
        "organization_id" varchar(30) not null,
        "topic" varchar(40) not null check ("topic" in ('member.changed', 'consent.revoked')),
        "member_version" bigint check ("member_version" >= 1),
        "change_kind" varchar(10) check ("change_kind" in ('created', 'updated', 'deleted')),
        "categories" text[] check ("categories" <@ ${CATEGORIES}),
        "consent_id" varchar(30),
        "purpose" varchar(40) check ("purpose" ~ '^[a-z_]{1,40}$'),
        "occurred_at" timestamptz not null,
        "resumed" integer not null default 0 check ("resumed" >= 0),
        "parked_at" timestamptz not null,
        "reason" varchar(40) not null
          check ("reason" in ('baa_not_in_effect', 'no_permitted_categories', 'partner_suspended')),
        primary key ("outbox_id", "subscription_id"),
        check ("topic" <> 'member.changed' or ("member_version" is not null and "change_kind" is not null)),
        check ("topic" <> 'consent.revoked' or ("consent_id" is not null and "purpose" is not null))
      );`);
    // The resume reads one vendor's rows in outbox (commit) order; the sweep reads the vendors.
    this.addSql(`create index "parked_delivery_vendor_idx" on "parked_delivery" ("vendor_id", "outbox_id");`);
    this.addSql(`create index "parked_delivery_subscription_idx" on "parked_delivery" ("subscription_id");`);
    // Rows leave only when resumed (deleted after their job is queued), never by a truncate.
    this.addSql(`revoke truncate on "parked_delivery" from msync_app;`);

    this.addSql(`alter table "outbox" alter column "member_version" drop not null;`);
    this.addSql(`alter table "outbox" alter column "change_kind" drop not null;`);
    this.addSql(`alter table "outbox" add column "partner_id" varchar(30);`);
    this.addSql(`alter table "outbox" add column "consent_id" varchar(30);`);
    this.addSql(
      `alter table "outbox" add column "purpose" varchar(40) check ("purpose" ~ '^[a-z_]{1,40}$');`,
    );
    this.addSql(`
      alter table "outbox" add constraint "outbox_topic_fields_check" check (
        ("topic" = 'member.changed' and "member_version" is not null and "change_kind" is not null)
        or ("topic" = 'consent.revoked' and "partner_id" is not null and "consent_id" is not null
            and "purpose" is not null));`);
  }

  override down(): void {
    this.addSql('drop table if exists "parked_delivery";');
    this.addSql(`delete from "outbox" where "topic" = 'consent.revoked';`);
    this.addSql(`alter table "outbox" drop constraint if exists "outbox_topic_fields_check";`);
    this.addSql(`alter table "outbox" drop column if exists "purpose";`);
    this.addSql(`alter table "outbox" drop column if exists "consent_id";`);
    this.addSql(`alter table "outbox" drop column if exists "partner_id";`);
    this.addSql(`alter table "outbox" alter column "change_kind" set not null;`);
    this.addSql(`alter table "outbox" alter column "member_version" set not null;`);
  }
}
