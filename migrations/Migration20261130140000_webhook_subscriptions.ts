import { Migration } from '@mikro-orm/migrations';

/**
 * Partners' outbound webhook subscriptions and their signing secrets (wrapped by the KEK; AAD
 * binds partner, subscription and id). Nothing is deleted: a partner's delete disables the
 * subscription, and rotated secrets stay (expired) for the record.
 */
export class Migration20261130140000_webhook_subscriptions extends Migration {
  override up(): void {
    this.addSql(`
      create table "webhook_subscription" (
        "id" varchar(30) primary key,
        "partner_id" varchar(30) not null references "partner" ("id"),
        "url" varchar(2048) not null check ("url" like 'https://%'),
        "events" text[] not null check (cardinality("events") between 1 and 10),
        "status" varchar(20) not null check ("status" in ('active', 'disabled')),
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null,
        "disabled_at" timestamptz,
        "disabled_reason" varchar(40),
        "disabled_by" varchar(40),
        check (("status" = 'disabled') = ("disabled_at" is not null))
      );`);
    // A partner lists its subscriptions newest first; deliveries find active subscribers of an event type.
    this.addSql(
      `create index "webhook_subscription_partner_idx" on "webhook_subscription" ("partner_id", "created_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "webhook_subscription_events_idx" on "webhook_subscription" using gin ("events") where "status" = 'active';`,
    );
    this.addSql(`
      create table "webhook_subscription_secret" (
        "id" varchar(30) primary key,
        "subscription_id" varchar(30) not null references "webhook_subscription" ("id"),
        "partner_id" varchar(30) not null references "partner" ("id"),
        "secret_wrapped" jsonb not null,
        "created_at" timestamptz not null,
        "expires_at" timestamptz
      );`);
    this.addSql(
      `create index "webhook_subscription_secret_sub_idx" on "webhook_subscription_secret" ("subscription_id", "created_at" desc);`,
    );
    this.addSql(
      `revoke delete, truncate on "webhook_subscription", "webhook_subscription_secret" from msync_app;`,
    );
  }

  override down(): void {
    this.addSql('drop table if exists "webhook_subscription_secret";');
    this.addSql('drop table if exists "webhook_subscription";');
  }
}
