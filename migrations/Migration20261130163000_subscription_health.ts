import { Migration } from '@mikro-orm/migrations';

/**
 * What the delivery worker learns about each subscription's endpoint, for its health (the admin
 * status route, the partner's list, /metrics): the last 2xx, and the run of failures since.
 * Times and counts only: nothing here is ePHI. The rest of its health (pending deliveries, dead
 * letters) is read from the deliveries queue itself.
 */
export class Migration20261130163000_subscription_health extends Migration {
  override up(): void {
    this.addSql(`
      create table "webhook_subscription_health" (
        "subscription_id" varchar(30) primary key references "webhook_subscription" ("id"),
        "last_success_at" timestamptz,
        "last_failure_at" timestamptz,
        "consecutive_failures" integer not null default 0 check ("consecutive_failures" >= 0),
        "failing_since" timestamptz,
        check (("consecutive_failures" = 0) = ("failing_since" is null))
      );`);
    this.addSql(`revoke delete, truncate on "webhook_subscription_health" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "webhook_subscription_health";');
  }
}
