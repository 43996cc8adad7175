import { Migration } from '@mikro-orm/migrations';

/** PLACEHOLDER (H1 vendors: BAA history, breach contact, expiry warnings): replace this comment with why the schema changes. */
export class Migration20261201000000_vendor_registry extends Migration {
  override up(): void {}

  override down(): void {}
}
