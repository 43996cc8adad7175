import { Migration } from '@mikro-orm/migrations';

/** PLACEHOLDER (H2 deliveries parked while a BAA is not in effect): replace this comment with why the schema changes. */
export class Migration20261201010000_delivery_parking extends Migration {
  override up(): void {}

  override down(): void {}
}
