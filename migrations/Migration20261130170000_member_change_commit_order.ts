import { Migration } from '@mikro-orm/migrations';

/**
 * The partner change feed serves `member_change` in commit-safe order: `seq` is drawn when a row is
 * inserted, not when its transaction commits, so a reader walking `seq` can pass a row that commits
 * later with a lower `seq`. Each row now records its transaction id (`tx`, filled by the default, so
 * no writer changes); the feed serves only rows whose `tx` is below the oldest running transaction,
 * ordered by (tx, seq). Rows that exist already all take this migration's transaction id.
 */
export class Migration20261130170000_member_change_commit_order extends Migration {
  override up(): void {
    this.addSql(`alter table "member_change" add column "tx" xid8 not null default pg_current_xact_id();`);
    // A partner's feed walks its organizations' changes in (tx, seq) order, one index range per organization.
    this.addSql(
      `create index "member_change_org_tx_seq_idx" on "member_change" ("organization_id", "tx", "seq");`,
    );
    // The (organization, seq) index only served a seq-ordered feed: one index less on the write path.
    this.addSql(`drop index if exists "member_change_org_seq_idx";`);
  }

  override down(): void {
    this.addSql(`create index "member_change_org_seq_idx" on "member_change" ("organization_id", "seq");`);
    this.addSql(`drop index if exists "member_change_org_tx_seq_idx";`);
    this.addSql(`alter table "member_change" drop column "tx";`);
  }
}
