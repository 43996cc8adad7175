import { Migration } from '@mikro-orm/migrations';

/** PLACEHOLDER (H5 breach incidents): replace this comment with why the schema changes. */
export class Migration20261201040000_incidents extends Migration {
  override up(): void {}

  override down(): void {}
}
