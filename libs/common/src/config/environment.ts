import ipaddr from 'ipaddr.js';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : value;
};

/** Where the key-encryption key lives; `CryptoModule` builds one provider per name. */
export const KEY_PROVIDERS = ['local', 'aws-kms', 'vault-transit'] as const;
export type KeyProviderName = (typeof KEY_PROVIDERS)[number];

const whenProvider = (name: KeyProviderName) =>
  ValidateIf((env: EnvironmentVariables) => env.KEY_PROVIDER === name);
const requiredFor = (name: KeyProviderName) =>
  IsDefined({ message: `is required when KEY_PROVIDER=${name}` });

/** Keys and tokens cross this link: plain http is for a local Vault dev server or KMS stand-in only. */
const HttpsInProduction = () =>
  ValidateBy({
    name: 'httpsInProduction',
    validator: {
      validate: (value: unknown, args) =>
        (args?.object as EnvironmentVariables).NODE_ENV !== 'production' ||
        (typeof value === 'string' && value.startsWith('https://')),
      defaultMessage: () => 'must be an https:// URL in production',
    },
  });

/**
 * A host on this machine: loopback, `localhost`, or none at all (a Unix socket). ePHI crosses the
 * link to PostgreSQL and Redis; only a link that never leaves the host may go unencrypted (e.g. a
 * cloud SQL proxy or stunnel sidecar that encrypts onward itself).
 */
export function isLocalHost(url: string | undefined): boolean {
  if (url === undefined) return true;
  // Not `new URL`: it refuses `postgres://user@/db?host=/run/postgresql`, PostgreSQL's socket form.
  const match = /^[a-z]+:\/\/(?:[^@/?]*@)?(\[[^\]]*\]|[^/:?]*)[^?]*(?:\?(.*))?$/i.exec(url);
  if (!match) return false;
  let host = match[1].replace(/^\[|\]$/g, '');
  if (host === '') host = new URLSearchParams(match[2] ?? '').get('host') ?? '';
  if (host === '' || host.startsWith('/') || host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

/** In production, PostgreSQL beyond this host is reached over TLS that verifies the server. */
const VerifiedDatabaseTlsInProduction = () =>
  ValidateBy({
    name: 'verifiedDatabaseTlsInProduction',
    validator: {
      validate: (value: unknown, args) => {
        const env = args?.object as EnvironmentVariables;
        if (env.NODE_ENV !== 'production' || value === 'verify-full') return true;
        return isLocalHost(env.DATABASE_URL) && isLocalHost(env.MIGRATION_DATABASE_URL);
      },
      defaultMessage: () => 'must be verify-full in production when the database is on another host',
    },
  });

/** In production, Redis beyond this host is reached over TLS (`rediss://`). */
const TlsRedisInProduction = () =>
  ValidateBy({
    name: 'tlsRedisInProduction',
    validator: {
      validate: (value: unknown, args) =>
        (args?.object as EnvironmentVariables).NODE_ENV !== 'production' ||
        typeof value !== 'string' ||
        value.startsWith('rediss://') ||
        isLocalHost(value),
      defaultMessage: () => 'must be a rediss:// URL in production when Redis is on another host',
    },
  });

/** A vendor id of the BAA registry (`newId('vendor')`). */
const VENDOR_ID = /^vnd_[0-9A-HJKMNP-TV-Z]{26}$/;

/** A test-only switch: set (true, or any value) it stops a production process at boot. */
const NotInProduction = () =>
  ValidateBy({
    name: 'notInProduction',
    validator: {
      validate: (value: unknown, args) =>
        (args?.object as EnvironmentVariables).NODE_ENV !== 'production' || !value,
      defaultMessage: () => 'is for tests only and is refused in production',
    },
  });

/**
 * Every environment variable the service reads, with its default. `.env.example` documents the same
 * list; `loadAppConfig` is the only code that touches `process.env`.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsString()
  @MaxLength(255)
  DATA_DIR = '.data';

  @IsString()
  @MaxLength(255)
  HTTP_HOST = '::';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  HTTP_PORT = 8443;

  /** API processes `npm start` runs on the one HTTPS port (Node cluster); 1 serves in the launcher's own process. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  API_PROCESSES = 1;

  /** false | true | a hop count | a comma-separated list of proxy addresses/CIDRs. */
  @IsString()
  @Matches(/^(false|true|\d{1,2}|[0-9a-fA-F:.,/ ]+)$/, {
    message: 'must be false, true, a hop count or a comma-separated list of proxy CIDRs',
  })
  TRUST_PROXY = 'false';

  /** Comma-separated exact origins allowed by CORS; empty keeps CORS closed. */
  @IsString()
  @Matches(/^(|https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*)$/, {
    message: 'must be empty or a comma-separated list of http(s) origins',
  })
  CORS_ORIGINS = '';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /**
   * Body limit of POST /api/v1/sync/batches only (every other route keeps BODY_LIMIT_BYTES): a batch
   * is up to 1,000 updates, and an update at its schema's limits (20 dependents, 50 programs, every
   * string at its maximum length) is about 13 KB of plain-ASCII JSON, so 1,000 × 16 KiB.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  SYNC_BATCH_BODY_LIMIT_BYTES = 1000 * 16 * 1024;

  @IsOptional()
  @IsString()
  TLS_CERT_FILE?: string;

  @IsOptional()
  @IsString()
  TLS_KEY_FILE?: string;

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/member_sync';

  /** The schema owner's URL, for migrations only; defaults to DATABASE_URL (development). */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// connection URL' })
  MIGRATION_DATABASE_URL?: string;

  @IsIn(['disable', 'require', 'verify-full'])
  @VerifiedDatabaseTlsInProduction()
  DATABASE_SSL_MODE: 'disable' | 'require' | 'verify-full' = 'disable';

  @IsOptional()
  @IsString()
  DATABASE_SSL_CA_FILE?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_MAX = 20;

  /** Port of the embedded PostgreSQL that `npm start` runs when DATABASE_URL does not answer (dev only). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  /** Port of the redis-server that `npm start` runs when REDIS_URL does not answer (dev only). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(65535)
  LOCAL_REDIS_PORT = 6389;

  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  @TlsRedisInProduction()
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsOptional()
  @IsString()
  REDIS_TLS_CA_FILE?: string;

  /**
   * How long a request waits for a Redis command (rate limits, revocations, token cache) before it is
   * answered 503 with Retry-After: a Redis outage must not hold requests open without bound.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  REDIS_COMMAND_TIMEOUT_MS = 2000;

  /** Namespaces every Redis key and BullMQ queue, so several installs (or test suites) share one Redis. */
  @Matches(/^[a-z][a-z0-9_-]{0,39}$/, { message: 'must be 1-40 lowercase letters, digits, - or _' })
  REDIS_KEY_PREFIX = 'msync';

  /** The public https base URL: the OAuth issuer, and the root of the token audiences. */
  @Matches(/^https:\/\/[^/\s]+$/, { message: 'must be an https:// origin without a path' })
  PUBLIC_BASE_URL = 'https://localhost:8443';

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(900)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  /** CA bundle for partner client certificates (mTLS); without it no client certificate is requested. */
  @IsOptional()
  @IsString()
  TLS_CLIENT_CA_FILE?: string;

  /** Optional external OIDC issuer for admin users; its tokens must carry an MFA `amr`. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  @HttpsInProduction()
  ADMIN_OIDC_ISSUER?: string;

  /** Admin token keys are fetched from here: over plain http anyone on the path could swap them. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  @HttpsInProduction()
  ADMIN_OIDC_JWKS_URL?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  ADMIN_OIDC_AUDIENCE?: string;

  /** Requests per minute per authenticated client. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_CLIENT_PER_MINUTE = 600;

  /** Requests per minute per source IP. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_IP_PER_MINUTE = 1200;

  /** Requests per minute per source IP on /oauth/token and the admin login. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH_PER_MINUTE = 30;

  /** Authentication failures from one client or IP within 15 minutes that raise an alert. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_FAILURE_ALERT_THRESHOLD = 10;

  /** Hours an Idempotency-Key and its stored response are kept before the sweep job deletes them. */
  @Transform(toInt)
  @IsInt()
  @Min(24)
  @Max(24 * 30)
  IDEMPOTENCY_RETENTION_HOURS = 24;

  /** Seconds after which a request still marked running under a key is taken over (its process died). */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(3600)
  IDEMPOTENCY_LEASE_SECONDS = 60;

  /**
   * The role the service runs as (SET ROLE on each pooled connection) when it logs in as the
   * schema owner; empty when DATABASE_URL already logs in as that role (production).
   */
  @Matches(/^(|[a-z_][a-z0-9_]{0,62})$/, { message: 'must be empty or a PostgreSQL role name' })
  DATABASE_APP_ROLE = 'msync_app';

  /** Sign a checkpoint of the audit chain after this many events... */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUDIT_CHECKPOINT_EVERY_EVENTS = 1000;

  /** ...and at least this often while events arrive. */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  AUDIT_CHECKPOINT_INTERVAL_SECONDS = 60;

  /** Where signed checkpoints are also written, outside the database (mount it elsewhere in production). */
  @IsOptional()
  @IsString()
  AUDIT_CHECKPOINT_DIR?: string;

  /** Ed25519 private key (PKCS#8 PEM) that signs checkpoints; never stored in the database. */
  @IsOptional()
  @IsString()
  AUDIT_SIGNING_KEY_FILE?: string;

  /** Security alerts are also POSTed here as signed Standard Webhooks (optional). */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  @HttpsInProduction()
  SECURITY_WEBHOOK_URL?: string;

  /** The whsec_ secret that signs security webhooks. */
  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9+/=]{16,}$/, { message: 'must be a whsec_ secret' })
  SECURITY_WEBHOOK_SECRET?: string;

  /** Business hours (UTC) as `days hours`, e.g. `1-5 08-18` (Mon–Fri, 08:00–18:00): bulk reads outside them alert. */
  @Matches(/^[0-6]-[0-6] ([01][0-9]|2[0-4])-([01][0-9]|2[0-4])$/, {
    message: 'must look like "1-5 08-18" (days 0=Sun..6, hours UTC)',
  })
  BUSINESS_HOURS_UTC = '1-5 08-18';

  /** Members one client may read in an hour outside business hours before an alert is raised. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_BULK_READ_PER_HOUR = 1000;

  /** Requests a client makes before its source networks count as known; later, a new network alerts. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_IP_LEARNING_REQUESTS = 200;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Human-readable lines; unset means pretty when stdout is a terminal and no LOG_FILE is set. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  LOG_PRETTY?: boolean;

  /** Write log lines to this file instead of stdout (they are redacted the same way). */
  @IsOptional()
  @IsString()
  LOG_FILE?: string;

  @IsIn(KEY_PROVIDERS)
  KEY_PROVIDER: KeyProviderName = 'local';

  @IsOptional()
  @IsString()
  LOCAL_KEK_FILE?: string;

  /** KMS key id, key ARN, alias name (`alias/...`) or alias ARN; read only when KEY_PROVIDER=aws-kms. */
  @whenProvider('aws-kms')
  @requiredFor('aws-kms')
  @Matches(
    /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+|alias\/[\w/-]+|(mrk-)?[0-9a-f-]{32,36})$/,
    {
      message: 'must be a KMS key id, key ARN, alias/name or alias ARN',
    },
  )
  @MaxLength(2048)
  AWS_KMS_KEY_ID?: string;

  @whenProvider('aws-kms')
  @requiredFor('aws-kms')
  @Matches(/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/, { message: 'must be an AWS region such as us-east-1' })
  AWS_REGION?: string;

  /** A VPC endpoint or a local KMS stand-in; empty = the regional public endpoint. */
  @whenProvider('aws-kms')
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  @HttpsInProduction()
  AWS_KMS_ENDPOINT?: string;

  @whenProvider('vault-transit')
  @requiredFor('vault-transit')
  @Matches(/^https?:\/\/[^/\s]+(\/[^\s]*)?$/, { message: 'must be an http(s) URL' })
  @HttpsInProduction()
  VAULT_ADDR?: string;

  /** A fixed token; exactly one of VAULT_TOKEN and VAULT_TOKEN_FILE. */
  @ValidateIf((env: EnvironmentVariables) => env.KEY_PROVIDER === 'vault-transit' && !env.VAULT_TOKEN_FILE)
  @IsDefined({ message: 'is required when KEY_PROVIDER=vault-transit (or set VAULT_TOKEN_FILE)' })
  @Matches(/^[\x21-\x7e]{1,4096}$/, { message: 'must be a Vault token (printable, no spaces)' })
  VAULT_TOKEN?: string;

  /** A file holding the token, re-read on each call (a Vault Agent sink that is rewritten on re-auth). */
  @whenProvider('vault-transit')
  @IsOptional()
  @IsString()
  @ValidateBy(
    {
      name: 'notBothVaultTokens',
      validator: { validate: (_value, args) => !(args?.object as EnvironmentVariables).VAULT_TOKEN },
    },
    { message: 'cannot be set together with VAULT_TOKEN' },
  )
  VAULT_TOKEN_FILE?: string;

  @whenProvider('vault-transit')
  @Matches(/^[\w-]+(\/[\w-]+)*$/, { message: 'must be a mount path such as transit' })
  VAULT_TRANSIT_MOUNT = 'transit';

  /** A transit key created with derived=true, so the context is bound to each ciphertext. */
  @whenProvider('vault-transit')
  @requiredFor('vault-transit')
  @Matches(/^\w[\w.-]{0,127}$/, { message: 'must be a transit key name' })
  VAULT_TRANSIT_KEY?: string;

  /** Vault Enterprise / HCP namespace; empty = the root namespace. */
  @whenProvider('vault-transit')
  @IsOptional()
  @Matches(/^[\w-]+(\/[\w-]+)*\/?$/, { message: 'must be a namespace path such as admin/team' })
  VAULT_NAMESPACE?: string;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  /**
   * Outbound deliveries: seconds before each attempt (the first is normally 0), a comma list;
   * its length is the number of attempts before a delivery is dead-lettered. Standard Webhooks' schedule by default.
   */
  @Matches(/^\d{1,6}(\s*,\s*\d{1,6}){0,49}$/, { message: 'must be a comma list of seconds, e.g. 0,5,300' })
  DELIVERY_RETRY_SCHEDULE_SECONDS = '0,5,300,1800,7200,18000,36000,50400,72000,86400';

  /** An endpoint whose deliveries have failed for this long without one success is disabled (5 days). */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(90 * 24 * 3600)
  DELIVERY_DISABLE_AFTER_FAILING_SECONDS = 432000;

  /**
   * Delivery jobs (fan-outs and attempts) one worker process runs at once: an attempt mostly waits
   * on the partner's endpoint (up to 15 s), so one at a time would let a slow endpoint hold up all.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DELIVERY_CONCURRENCY = 8;

  /**
   * The bearer token a Prometheus scraper sends to GET /metrics (at least 32 printable characters).
   * Neither this nor METRICS_TOKEN_FILE set: /metrics answers 404.
   */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{32,4096}$/, { message: 'must be 32 to 4096 printable characters, no spaces' })
  METRICS_TOKEN?: string;

  /** A file holding the metrics token (a mounted secret), read at boot; exactly one of the two. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @ValidateBy(
    {
      name: 'notBothMetricsTokens',
      validator: { validate: (_value, args) => !(args?.object as EnvironmentVariables).METRICS_TOKEN },
    },
    { message: 'cannot be set together with METRICS_TOKEN' },
  )
  METRICS_TOKEN_FILE?: string;

  /** TEST ONLY: lets deliveries reach loopback addresses (a test's own HTTPS receiver); refused in production. */
  @Transform(toBool)
  @IsBoolean()
  @NotInProduction()
  DELIVERY_ALLOW_LOOPBACK = false;

  /** TEST ONLY: a CA certificate (PEM file) deliveries trust instead of the system roots; refused in production. */
  @IsOptional()
  @IsString()
  @NotInProduction()
  DELIVERY_CA_FILE?: string;

  /**
   * The registered vendor (BAA registry) behind each sink the service sends to: the SIEM receiving
   * security webhooks, the log collector, the KMS. Alerts go to the SIEM only while its vendor's BAA
   * is in effect. Required in production when the sink is configured (a SIEM webhook; a KMS or
   * Vault key provider); the log collector is outside this configuration, so its id is optional.
   */
  @ValidateIf(
    (env: EnvironmentVariables) =>
      env.SIEM_VENDOR_ID !== undefined || (env.NODE_ENV === 'production' && !!env.SECURITY_WEBHOOK_URL),
  )
  @IsDefined({ message: 'is required in production when SECURITY_WEBHOOK_URL is set' })
  @Matches(VENDOR_ID, { message: 'must be a vendor id (vnd_ + 26 characters)' })
  SIEM_VENDOR_ID?: string;

  @IsOptional()
  @Matches(VENDOR_ID, { message: 'must be a vendor id (vnd_ + 26 characters)' })
  LOG_SINK_VENDOR_ID?: string;

  @ValidateIf(
    (env: EnvironmentVariables) =>
      env.KMS_VENDOR_ID !== undefined || (env.NODE_ENV === 'production' && env.KEY_PROVIDER !== 'local'),
  )
  @IsDefined({ message: 'is required in production when KEY_PROVIDER is aws-kms or vault-transit' })
  @Matches(VENDOR_ID, { message: 'must be a vendor id (vnd_ + 26 characters)' })
  KMS_VENDOR_ID?: string;
}

export class ConfigError extends Error {}

// A missing value explains more than its format, and a type rule more than a range rule.
const TYPE_RULES = ['isDefined', 'isInt', 'isBoolean', 'isIn', 'matches', 'isString'];

/** Validates the raw environment; the first problem is reported as one line naming the variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const defined = Object.fromEntries(
    Object.entries(raw).filter(
      ([key, value]) => value !== undefined && value !== '' && key === key.toUpperCase(),
    ),
  );
  const env = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    const constraints = first.constraints ?? {};
    const rule = TYPE_RULES.find((r) => r in constraints) ?? Object.keys(constraints)[0];
    const reason = (rule && constraints[rule]) || 'is invalid';
    // class-validator messages begin with the property name; keep only what follows.
    const expectation = reason.startsWith(first.property)
      ? reason.slice(first.property.length).trim()
      : reason;
    throw new ConfigError(`Invalid configuration: ${first.property} ${expectation}`);
  }
  return env;
}
