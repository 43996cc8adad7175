import { Migration } from '@mikro-orm/migrations';

/**
 * Suspending a partner, revoking a client or an API key and disabling an admin are now API actions
 * (issue 11), so each row keeps when, by whom and why its status last changed (the audit trail has
 * the full history). Registry rows are never deleted: revoked credentials and disabled admins stay
 * for the audit trail and incident look-ups, so the app role loses DELETE and TRUNCATE on them.
 */
export class Migration20261201050000_admin_registry extends Migration {
  override up(): void {
    this.addSql(`
      alter table "partner"
        add column "status_changed_at" timestamptz,
        add column "status_changed_by" varchar(40),
        add column "status_reason" varchar(200);`);
    this.addSql(`
      alter table "oauth_client"
        add column "revoked_at" timestamptz,
        add column "revoked_by" varchar(40),
        add column "revoke_reason" varchar(200);`);
    this.addSql(`
      alter table "api_key"
        add column "revoked_by" varchar(40),
        add column "revoke_reason" varchar(200);`);
    this.addSql(`
      alter table "admin_user"
        add column "disabled_at" timestamptz,
        add column "disabled_by" varchar(40),
        add column "disable_reason" varchar(200);`);
    for (const table of ['organization', 'partner', 'oauth_client', 'api_key', 'admin_user']) {
      this.addSql(`revoke delete, truncate on "${table}" from msync_app;`);
    }
  }

  override down(): void {
    for (const table of ['organization', 'partner', 'oauth_client', 'api_key', 'admin_user']) {
      this.addSql(`grant delete on "${table}" to msync_app;`);
    }
    this.addSql(`
      alter table "admin_user"
        drop column "disabled_at", drop column "disabled_by", drop column "disable_reason";`);
    this.addSql(`alter table "api_key" drop column "revoked_by", drop column "revoke_reason";`);
    this.addSql(`
      alter table "oauth_client"
        drop column "revoked_at", drop column "revoked_by", drop column "revoke_reason";`);
    this.addSql(`
      alter table "partner"
        drop column "status_changed_at", drop column "status_changed_by", drop column "status_reason";`);
  }
}
