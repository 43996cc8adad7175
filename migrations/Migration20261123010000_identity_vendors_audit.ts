import { Migration } from '@mikro-orm/migrations';

/** Vendors (BAA registry), partners and their credentials, admin users and sessions, audit and alerts. */
export class Migration20261123010000_identity_vendors_audit extends Migration {
  override up(): void {
    this.addSql(`
      create table "vendor" (
        "id" varchar(30) primary key,
        "name" varchar(200) not null,
        "role" varchar(20) not null check ("role" in ('partner', 'subprocessor')),
        "baa_status" varchar(20) not null check ("baa_status" in ('draft', 'signed', 'expired', 'terminated')),
        "baa_signed_at" date,
        "baa_effective_from" date,
        "baa_expires_at" date,
        "baa_document_sha256" char(64),
        "baa_permitted_categories" text[] not null default '{}',
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      );`);
    this.addSql(`
      create table "partner" (
        "id" varchar(30) primary key,
        "name" varchar(200) not null,
        "vendor_id" varchar(30) not null references "vendor" ("id"),
        "type" varchar(30) not null check ("type" in ('carrier', 'benefits_admin', 'membership_system', 'wellness_app')),
        "organization_ids" text[] not null default '{}',
        "categories" text[] not null default '{}',
        "purpose" varchar(40) not null,
        "requires_consent" boolean not null,
        "status" varchar(20) not null default 'active' check ("status" in ('active', 'suspended')),
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "partner_vendor_idx" on "partner" ("vendor_id");`);
    this.addSql(`
      create table "oauth_client" (
        "id" varchar(30) primary key,
        "partner_id" varchar(30) not null references "partner" ("id"),
        "auth_method" varchar(30) not null check ("auth_method" in ('client_secret_basic', 'private_key_jwt')),
        "secret_hash" varchar(200),
        "jwks" jsonb,
        "certificate_thumbprint" varchar(43),
        "scopes" text[] not null,
        "status" varchar(20) not null check ("status" in ('active', 'revoked')),
        "created_at" timestamptz not null,
        check (("auth_method" = 'client_secret_basic') = ("secret_hash" is not null)),
        check (("auth_method" = 'private_key_jwt') = ("jwks" is not null))
      );`);
    this.addSql(`create index "oauth_client_partner_idx" on "oauth_client" ("partner_id");`);
    this.addSql(`
      create table "api_key" (
        "id" varchar(30) primary key,
        "partner_id" varchar(30) not null references "partner" ("id"),
        "lookup_prefix" varchar(16) not null unique,
        "secret_hash" char(64) not null,
        "scopes" text[] not null,
        "allowed_cidrs" text[] not null,
        "created_at" timestamptz not null,
        "expires_at" timestamptz,
        "revoked_at" timestamptz
      );`);
    this.addSql(`create index "api_key_partner_idx" on "api_key" ("partner_id");`);
    this.addSql(`
      create table "signing_key" (
        "kid" varchar(64) primary key,
        "alg" varchar(10) not null check ("alg" = 'ES256'),
        "public_jwk" jsonb not null,
        "private_key_wrapped" jsonb not null,
        "status" varchar(20) not null check ("status" in ('active', 'retired')),
        "created_at" timestamptz not null,
        "retired_at" timestamptz
      );`);
    // At most one active signing key, whatever several processes race to do.
    this.addSql(
      `create unique index "signing_key_one_active" on "signing_key" ("status") where "status" = 'active';`,
    );
    this.addSql(`
      create table "admin_user" (
        "id" varchar(30) primary key,
        "email" varchar(254) not null unique check ("email" = lower("email")),
        "password_hash" varchar(200) not null,
        "role" varchar(30) not null check ("role" in ('compliance_officer', 'operator', 'security_admin')),
        "totp_secret_wrapped" jsonb not null,
        "status" varchar(20) not null check ("status" in ('active', 'disabled')),
        "created_at" timestamptz not null
      );`);
    this.addSql(`
      create table "admin_session" (
        "id" varchar(30) primary key,
        "admin_user_id" varchar(30) not null references "admin_user" ("id"),
        "status" varchar(20) not null check ("status" in ('active', 'revoked')),
        "revoked_reason" varchar(40),
        "created_at" timestamptz not null,
        "expires_at" timestamptz not null
      );`);
    this.addSql(`
      create table "admin_refresh_token" (
        "token_hash" char(64) primary key,
        "session_id" varchar(30) not null references "admin_session" ("id"),
        "status" varchar(20) not null check ("status" in ('active', 'used')),
        "created_at" timestamptz not null
      );`);
    this.addSql(`create index "admin_refresh_token_session_idx" on "admin_refresh_token" ("session_id");`);
    this.addSql(`
      create table "audit_event" (
        "id" bigint generated always as identity primary key,
        "occurred_at" timestamptz not null,
        "actor_type" varchar(20) not null check ("actor_type" in ('partner_client', 'api_key', 'admin', 'system', 'anonymous')),
        "actor_id" varchar(40),
        "client_id" varchar(40),
        "partner_id" varchar(40),
        "ip" varchar(45),
        "user_agent" varchar(256),
        "method" varchar(10),
        "route" varchar(200),
        "action" varchar(80) not null,
        "resource_type" varchar(40),
        "resource_ids" text[],
        "purpose" varchar(40),
        "outcome" varchar(10) not null check ("outcome" in ('success', 'failure', 'denied')),
        "status_code" integer,
        "reason" varchar(80),
        "request_id" uuid
      );`);
    this.addSql(`create index "audit_event_occurred_idx" on "audit_event" ("occurred_at");`);
    this.addSql(`
      create table "alert" (
        "id" varchar(30) primary key,
        "type" varchar(40) not null,
        "severity" varchar(10) not null check ("severity" in ('low', 'medium', 'high', 'critical')),
        "subject" varchar(100) not null,
        "details" jsonb,
        "raised_at" timestamptz not null,
        "acknowledged_at" timestamptz,
        "acknowledged_by" varchar(30),
        "note" varchar(1000)
      );`);
    this.addSql(`create index "alert_raised_idx" on "alert" ("raised_at");`);
  }

  override down(): void {
    for (const table of [
      'alert',
      'audit_event',
      'admin_refresh_token',
      'admin_session',
      'admin_user',
      'signing_key',
      'api_key',
      'oauth_client',
      'partner',
      'vendor',
    ]) {
      this.addSql(`drop table if exists "${table}";`);
    }
  }
}
