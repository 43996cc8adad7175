import { Migration } from '@mikro-orm/migrations';

/**
 * Tamper-evident audit trail: a gapless sequence and SHA-256 hash chain, signed checkpoints, and
 * append-only enforcement. The application runs as `msync_app` (SET ROLE on every pooled
 * connection, or its own login in production): it may insert and read audit rows but not change,
 * delete or truncate them, and as a non-owner it cannot disable or drop the triggers. Deleting is
 * reserved to `msync_archiver`, and even it cannot delete an event younger than six years.
 */
export class Migration20261123040000_audit_chain extends Migration {
  override up(): void {
    // Roles are cluster-wide: several databases (or test suites) may race to create them.
    for (const role of ['msync_app', 'msync_archiver']) {
      this.addSql(
        `do $$ begin create role ${role} nologin; exception when duplicate_object or unique_violation then null; end $$;`,
      );
    }
    this.addSql(`alter table "audit_event" add column "seq" bigint, add column "hash" bytea;`);
    // Events written before the chain existed keep their order but carry no hash (verification starts after them).
    this.addSql(`update "audit_event" set "seq" = "id";`);
    this.addSql(`alter table "audit_event" alter column "seq" set not null;`);
    this.addSql(`create unique index "audit_event_seq_uq" on "audit_event" ("seq");`);
    this.addSql(`
      create table "audit_chain_head" (
        "id" smallint primary key check ("id" = 1),
        "seq" bigint not null,
        "hash" bytea not null
      );`);
    this.addSql(`insert into "audit_chain_head" ("id", "seq", "hash")
      values (1, coalesce((select max("seq") from "audit_event"), 0), decode(repeat('00', 32), 'hex'));`);
    this.addSql(`
      create table "audit_checkpoint" (
        "seq" bigint primary key,
        "hash" bytea not null,
        "created_at" timestamptz not null,
        "key_id" varchar(64) not null,
        "signature" text not null
      );`);
    this.addSql(`
      create table "audit_verification" (
        "id" smallint primary key check ("id" = 1),
        "verified_seq" bigint not null,
        "verified_hash" bytea not null,
        "verified_at" timestamptz not null
      );`);
    this.addSql(`
      create function "audit_refuse_change"() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and tg_table_name = 'audit_event' then
          if current_user = 'msync_archiver' and old.occurred_at < now() - interval '6 years' then
            return old;
          end if;
          raise exception 'audit events are kept six years and deleted only by the archive role'
            using errcode = 'insufficient_privilege';
        end if;
        raise exception 'the audit trail is append-only (% on %)', tg_op, tg_table_name
          using errcode = 'insufficient_privilege';
      end $$;`);
    for (const table of ['audit_event', 'audit_checkpoint']) {
      this.addSql(`create trigger "${table}_append_only" before update or delete on "${table}"
        for each row execute function "audit_refuse_change"();`);
      this.addSql(`create trigger "${table}_no_truncate" before truncate on "${table}"
        for each statement execute function "audit_refuse_change"();`);
    }
    this.addSql(`grant usage on schema public to msync_app, msync_archiver;`);
    this.addSql(`grant select, insert, update, delete on all tables in schema public to msync_app;`);
    this.addSql(`revoke update, delete, truncate on "audit_event", "audit_checkpoint" from msync_app;`);
    this.addSql(`revoke all on "mikro_orm_migrations" from msync_app;`);
    this.addSql(`grant usage, select on all sequences in schema public to msync_app;`);
    this.addSql(
      `alter default privileges in schema public grant select, insert, update, delete on tables to msync_app;`,
    );
    this.addSql(`alter default privileges in schema public grant usage, select on sequences to msync_app;`);
    this.addSql(`grant select, delete on "audit_event" to msync_archiver;`);
  }

  override down(): void {
    for (const table of ['audit_event', 'audit_checkpoint']) {
      this.addSql(`drop trigger if exists "${table}_append_only" on "${table}";`);
      this.addSql(`drop trigger if exists "${table}_no_truncate" on "${table}";`);
    }
    this.addSql('drop function if exists "audit_refuse_change"();');
    this.addSql('drop table if exists "audit_verification";');
    this.addSql('drop table if exists "audit_checkpoint";');
    this.addSql('drop table if exists "audit_chain_head";');
    this.addSql('drop index if exists "audit_event_seq_uq";');
    this.addSql('alter table "audit_event" drop column "seq", drop column "hash";');
    this.addSql(`alter default privileges in schema public revoke all on tables from msync_app;`);
    this.addSql(`alter default privileges in schema public revoke all on sequences from msync_app;`);
    this.addSql(`revoke all on all tables in schema public from msync_app, msync_archiver;`);
    this.addSql(`revoke all on all sequences in schema public from msync_app;`);
    this.addSql(`revoke usage on schema public from msync_app, msync_archiver;`);
  }
}
