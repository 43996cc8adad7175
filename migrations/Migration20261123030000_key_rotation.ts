import { Migration } from '@mikro-orm/migrations';

/** KEK rotation runs: status, progress and the resume point of the background job. */
export class Migration20261123030000_key_rotation extends Migration {
  override up(): void {
    this.addSql(`
      create table "key_rotation" (
        "id" varchar(30) primary key,
        "status" varchar(20) not null check ("status" in ('running', 'completed', 'failed')),
        "reencrypt" boolean not null,
        "total" integer not null check ("total" >= 0),
        "done" integer not null check ("done" >= 0),
        "cursor" jsonb,
        "requested_by" varchar(30),
        "started_at" timestamptz not null,
        "finished_at" timestamptz
      );`);
  }

  override down(): void {
    this.addSql('drop table if exists "key_rotation";');
  }
}
