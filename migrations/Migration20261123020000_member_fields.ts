import { Migration } from '@mikro-orm/migrations';

/**
 * Encrypted member fields (one AES-256-GCM ciphertext column per catalog field), blind indexes,
 * per-member data keys wrapped by the KEK, and service secrets.
 */
export class Migration20261123020000_member_fields extends Migration {
  override up(): void {
    this.addSql(`
      alter table "member"
        add column "source_partner_id" varchar(30) references "partner" ("id"),
        add column "source_ref" varchar(100),
        add column "field_meta" jsonb not null default '{}',
        add column "given_name_enc" bytea,
        add column "family_name_enc" bytea,
        add column "date_of_birth_enc" bytea,
        add column "sex_enc" bytea,
        add column "ssn_enc" bytea,
        add column "email_enc" bytea,
        add column "phone_enc" bytea,
        add column "address_enc" bytea,
        add column "external_member_number_enc" bytea,
        add column "employer_group_id_enc" bytea,
        add column "plan_code_enc" bytea,
        add column "coverage_tier_enc" bytea,
        add column "effective_date_enc" bytea,
        add column "termination_date_enc" bytea,
        add column "coverage_status_enc" bytea,
        add column "dependents_enc" bytea,
        add column "programs_enc" bytea,
        add column "channel_enc" bytea,
        add column "language_enc" bytea,
        add column "marketing_opt_in_enc" bytea,
        add column "ssn_bidx" bytea,
        add column "email_bidx" bytea,
        add column "external_member_number_bidx" bytea;`);
    this.addSql(
      `create unique index "member_source_ref_uq" on "member" ("source_partner_id", "source_ref");`,
    );
    this.addSql(`create index "member_updated_idx" on "member" ("updated_at", "id");`);
    for (const column of ['ssn_bidx', 'email_bidx', 'external_member_number_bidx']) {
      this.addSql(
        `create index "member_${column}_idx" on "member" ("${column}") where "${column}" is not null;`,
      );
    }
    this.addSql(`
      create table "member_key" (
        "member_id" varchar(30) primary key references "member" ("id"),
        "version" integer not null check ("version" >= 1),
        "wrapped" jsonb not null,
        "kek" varchar(200) not null,
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "member_key_kek_idx" on "member_key" ("kek");`);
    this.addSql(`alter table "audit_event" add column "categories" text[];`);
    this.addSql(`
      create table "system_secret" (
        "name" varchar(40) primary key,
        "wrapped" jsonb not null,
        "created_at" timestamptz not null
      );`);
  }

  override down(): void {
    this.addSql('drop table if exists "system_secret";');
    this.addSql('alter table "audit_event" drop column if exists "categories";');
    this.addSql('drop table if exists "member_key";');
    this.addSql('drop index if exists "member_source_ref_uq";');
    this.addSql('drop index if exists "member_updated_idx";');
    this.addSql(`
      alter table "member"
        drop column "source_partner_id",
        drop column "source_ref",
        drop column "field_meta",
        drop column "given_name_enc",
        drop column "family_name_enc",
        drop column "date_of_birth_enc",
        drop column "sex_enc",
        drop column "ssn_enc",
        drop column "email_enc",
        drop column "phone_enc",
        drop column "address_enc",
        drop column "external_member_number_enc",
        drop column "employer_group_id_enc",
        drop column "plan_code_enc",
        drop column "coverage_tier_enc",
        drop column "effective_date_enc",
        drop column "termination_date_enc",
        drop column "coverage_status_enc",
        drop column "dependents_enc",
        drop column "programs_enc",
        drop column "channel_enc",
        drop column "language_enc",
        drop column "marketing_opt_in_enc",
        drop column "ssn_bidx",
        drop column "email_bidx",
        drop column "external_member_number_bidx";`);
  }
}
