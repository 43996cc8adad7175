import { Migration } from '@mikro-orm/migrations';

/**
 * The service may read which migrations are applied (names and dates only), so that a process
 * logged in as msync_app can confirm the schema is current at start; it still cannot apply one.
 */
export class Migration20261123050000_app_reads_migration_list extends Migration {
  override up(): void {
    this.addSql(`grant select on "mikro_orm_migrations" to msync_app;`);
  }

  override down(): void {
    this.addSql(`revoke select on "mikro_orm_migrations" from msync_app;`);
  }
}
