import { Migration } from '@mikro-orm/migrations';

/** PLACEHOLDER (H4 member rights requests): replace this comment with why the schema changes. */
export class Migration20261201030000_rights_requests extends Migration {
  override up(): void {}

  override down(): void {}
}
