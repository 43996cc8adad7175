import { Migration } from '@mikro-orm/migrations';

/** PLACEHOLDER (H3 consents): replace this comment with why the schema changes. */
export class Migration20261201020000_consents extends Migration {
  override up(): void {}

  override down(): void {}
}
