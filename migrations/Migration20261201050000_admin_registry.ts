import { Migration } from '@mikro-orm/migrations';

/** PLACEHOLDER (H6 admin registry: suspensions, revocations, disabled admins): replace this comment with why the schema changes. */
export class Migration20261201050000_admin_registry extends Migration {
  override up(): void {}

  override down(): void {}
}
