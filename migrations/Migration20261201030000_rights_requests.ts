import { Migration } from '@mikro-orm/migrations';

/**
 * Member rights requests (§164.524 access, §164.526 amendment, deletion), their one-time export
 * links and legal holds. No member value is stored in the clear: an amendment's proposed change is
 * sealed under the member's data key (so a deletion shreds it too), a link keeps only the SHA-256
 * of its token, and reasons are ticket references (docs say: never PHI). Rows are the compliance
 * record of how each request was handled, so the app role cannot delete them.
 */
export class Migration20261201030000_rights_requests extends Migration {
  override up(): void {
    this.addSql(`
      create table "rights_request" (
        "id" varchar(30) primary key,
        "member_id" varchar(30) not null references "member" ("id"),
        "organization_id" varchar(30) not null references "organization" ("id"),
        "kind" varchar(16) not null check ("kind" in ('access', 'amendment', 'deletion')),
        "status" varchar(16) not null check ("status" in
          ('received', 'in_review', 'fulfilled', 'applied', 'denied', 'completed', 'refused', 'withdrawn')),
        "received_at" timestamptz not null,
        "due_at" timestamptz not null,
        "extended_at" timestamptz,
        "extension_reason" varchar(200),
        "proposal_fields" text[],
        "proposal_key_version" integer,
        "proposal_enc" bytea,
        "decision_reason" varchar(500),
        "notified_partners" jsonb,
        "overdue_alerted_at" timestamptz,
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null,
        "updated_at" timestamptz not null,
        "updated_by" varchar(40) not null,
        "closed_at" timestamptz,
        check (("kind" = 'amendment') = ("proposal_enc" is not null)),
        check (("extended_at" is null) = ("extension_reason" is null))
      );`);
    // The officers' list (soonest due first), the overdue sweep (open and past due), a member's requests.
    this.addSql(`create index "rights_request_due_idx" on "rights_request" ("due_at", "id");`);
    this.addSql(
      `create index "rights_request_overdue_idx" on "rights_request" ("due_at") where "status" in ('received', 'in_review') and "overdue_alerted_at" is null;`,
    );
    this.addSql(`create index "rights_request_member_idx" on "rights_request" ("member_id");`);
    this.addSql(`revoke delete, truncate on "rights_request" from msync_app;`);

    this.addSql(`
      create table "rights_export_link" (
        "token_sha256" bytea primary key check (octet_length("token_sha256") = 32),
        "request_id" varchar(30) not null references "rights_request" ("id"),
        "created_at" timestamptz not null,
        "created_by" varchar(40) not null,
        "expires_at" timestamptz not null,
        "consumed_at" timestamptz,
        "consumed_format" varchar(8) check ("consumed_format" in ('json', 'fhir')),
        check (("consumed_at" is null) = ("consumed_format" is null))
      );`);
    this.addSql(`create index "rights_export_link_request_idx" on "rights_export_link" ("request_id");`);
    this.addSql(`revoke delete, truncate on "rights_export_link" from msync_app;`);

    this.addSql(`
      create table "legal_hold" (
        "id" varchar(30) primary key,
        "member_id" varchar(30) not null references "member" ("id"),
        "organization_id" varchar(30) not null references "organization" ("id"),
        "reason" varchar(200) not null,
        "placed_by" varchar(40) not null,
        "placed_at" timestamptz not null,
        "released_at" timestamptz,
        "released_by" varchar(40),
        "release_reason" varchar(200),
        check (("released_at" is null) = ("released_by" is null)),
        check (("released_at" is null) = ("release_reason" is null))
      );`);
    // Every deletion asks whether a hold is active on its member.
    this.addSql(
      `create index "legal_hold_active_idx" on "legal_hold" ("member_id") where "released_at" is null;`,
    );
    this.addSql(`create index "legal_hold_placed_idx" on "legal_hold" ("placed_at", "id");`);
    this.addSql(`revoke delete, truncate on "legal_hold" from msync_app;`);
  }

  override down(): void {
    this.addSql('drop table if exists "legal_hold";');
    this.addSql('drop table if exists "rights_export_link";');
    this.addSql('drop table if exists "rights_request";');
  }
}
