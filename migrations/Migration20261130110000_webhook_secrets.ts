import { Migration } from '@mikro-orm/migrations';

/**
 * Partners' inbound webhook signing secrets (Standard Webhooks), wrapped by the KEK (AAD binds
 * partner and id); several active per partner during a rotation. Revoked rows stay for the
 * record: the service may insert, read and revoke (update), never delete.
 */
export class Migration20261130110000_webhook_secrets extends Migration {
  override up(): void {
    this.addSql(`
      create table "webhook_secret" (
        "id" varchar(30) primary key,
        "partner_id" varchar(30) not null references "partner" ("id"),
        "secret_wrapped" jsonb not null,
        "status" varchar(20) not null check ("status" in ('active', 'revoked')),
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null,
        "revoked_at" timestamptz,
        "revoked_by" varchar(40),
        "revoke_reason" varchar(200),
        check (("status" = 'revoked') = ("revoked_at" is not null))
      );`);
    // The verifier reads a partner's active secrets; admins list a partner's secrets newest first.
    this.addSql(
      `create index "webhook_secret_partner_idx" on "webhook_secret" ("partner_id", "created_at" desc, "id" desc);`,
    );
    this.addSql(`revoke delete, truncate on "webhook_secret" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "webhook_secret";');
  }
}
