import { resolve } from 'node:path';
import { EnvironmentVariables, validateEnvironment } from './environment';

/** Which KEK provider runs, with only its own settings; `localKekFile` is always known (first-run setup). */
export type KeyProviderConfig =
  | { provider: 'local'; localKekFile: string }
  | {
      provider: 'aws-kms';
      localKekFile: string;
      awsKms: { keyId: string; region: string; endpoint?: string };
    }
  | {
      provider: 'vault-transit';
      localKekFile: string;
      vaultTransit: {
        addr: string;
        token: { value: string } | { file: string };
        mount: string;
        key: string;
        namespace?: string;
      };
    };

/**
 * The typed configuration every module receives. Built once at boot from the environment;
 * nothing else reads `process.env`.
 */
export class AppConfig {
  readonly env: EnvironmentVariables['NODE_ENV'];
  readonly dataDir: string;
  readonly http: {
    host: string;
    port: number;
    trustProxy: boolean | number | string[];
    corsOrigins: string[];
    bodyLimitBytes: number;
    /** The sync batch route's own body limit (a full 1,000-update batch is larger than bodyLimitBytes). */
    syncBatchBodyLimitBytes: number;
    shutdownTimeoutMs: number;
    /** API processes the launcher runs (Node cluster, sharing the port). */
    processes: number;
  };
  readonly tls: { certFile: string; keyFile: string };
  readonly database: {
    url: string;
    /** The schema owner's URL: migrations run as the owner, the service as the application role. */
    migrationUrl: string;
    appRole: string;
    sslMode: EnvironmentVariables['DATABASE_SSL_MODE'];
    sslCaFile?: string;
    poolMax: number;
  };
  readonly redis: { url: string; tlsCaFile?: string; keyPrefix: string; commandTimeoutMs: number };
  readonly log: { level: string; pretty: boolean; file?: string };
  readonly keys: KeyProviderConfig;
  readonly alertRules: {
    businessHours: { firstDay: number; lastDay: number; startHour: number; endHour: number };
    bulkReadPerHour: number;
    ipLearningRequests: number;
  };
  readonly audit: {
    checkpointEveryEvents: number;
    checkpointIntervalSeconds: number;
    checkpointDir: string;
    signingKeyFile: string;
    securityWebhook?: { url: string; secret: string };
  };
  readonly auth: {
    issuer: string;
    partnerAudience: string;
    adminAudience: string;
    tokenEndpoint: string;
    accessTokenTtlSeconds: number;
    clientCaFile?: string;
    adminOidc?: { issuer: string; jwksUrl: string; audience: string };
    authFailureAlertThreshold: number;
  };
  readonly rateLimits: { clientPerMinute: number; ipPerMinute: number; authPerMinute: number };
  /** Idempotency-Key records: how long they are kept, and when a running one counts as abandoned. */
  readonly idempotency: { retentionHours: number; leaseSeconds: number };
  /** Where `npm start` runs its own PostgreSQL / Redis when the configured ones do not answer. */
  readonly devFallback: { embeddedPgPort: number; localRedisPort: number };
  /** Who may scrape /metrics: a bearer token (or the file holding it); none = the route answers 404. */
  readonly metrics: { token?: { value: string } | { file: string } };
  /** The BAA registry's vendor ids of the sinks the service sends to (the subprocessor gate). */
  readonly subprocessors: { siemVendorId?: string; logSinkVendorId?: string; kmsVendorId?: string };
  /** Outbound deliveries to partner subscriptions; the two test-only switches are refused in production. */
  readonly deliveries: {
    retryScheduleSeconds: number[];
    disableAfterFailingSeconds: number;
    /** Jobs of the deliveries queue one worker runs side by side. */
    concurrency: number;
    allowLoopback: boolean;
    caFile?: string;
  };

  constructor(env: EnvironmentVariables) {
    this.env = env.NODE_ENV;
    this.dataDir = resolve(env.DATA_DIR);
    this.http = {
      host: env.HTTP_HOST,
      port: env.HTTP_PORT,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      corsOrigins: env.CORS_ORIGINS ? env.CORS_ORIGINS.split(',').map((o) => o.trim()) : [],
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      syncBatchBodyLimitBytes: env.SYNC_BATCH_BODY_LIMIT_BYTES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      processes: env.API_PROCESSES,
    };
    this.tls = {
      certFile: resolve(env.TLS_CERT_FILE ?? `${env.DATA_DIR}/tls/dev-cert.pem`),
      keyFile: resolve(env.TLS_KEY_FILE ?? `${env.DATA_DIR}/tls/dev-key.pem`),
    };
    this.database = {
      url: env.DATABASE_URL,
      migrationUrl: env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL,
      appRole: env.DATABASE_APP_ROLE,
      sslMode: env.DATABASE_SSL_MODE,
      sslCaFile: env.DATABASE_SSL_CA_FILE,
      poolMax: env.DATABASE_POOL_MAX,
    };
    this.redis = {
      url: env.REDIS_URL,
      tlsCaFile: env.REDIS_TLS_CA_FILE,
      keyPrefix: env.REDIS_KEY_PREFIX,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    };
    this.log = {
      level: env.LOG_LEVEL,
      // A person at a terminal reads pretty lines; a pipe, a file or a collector gets JSON.
      pretty: env.LOG_PRETTY ?? (!env.LOG_FILE && process.stdout.isTTY === true),
      file: env.LOG_FILE ? resolve(env.LOG_FILE) : undefined,
    };
    this.auth = {
      issuer: env.PUBLIC_BASE_URL,
      partnerAudience: `${env.PUBLIC_BASE_URL}/api/v1`,
      adminAudience: `${env.PUBLIC_BASE_URL}/api/v1/admin`,
      tokenEndpoint: `${env.PUBLIC_BASE_URL}/oauth/token`,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      clientCaFile: env.TLS_CLIENT_CA_FILE,
      adminOidc:
        env.ADMIN_OIDC_ISSUER && env.ADMIN_OIDC_JWKS_URL
          ? {
              issuer: env.ADMIN_OIDC_ISSUER,
              jwksUrl: env.ADMIN_OIDC_JWKS_URL,
              audience: env.ADMIN_OIDC_AUDIENCE ?? `${env.PUBLIC_BASE_URL}/api/v1/admin`,
            }
          : undefined,
      authFailureAlertThreshold: env.AUTH_FAILURE_ALERT_THRESHOLD,
    };
    this.rateLimits = {
      clientPerMinute: env.RATE_LIMIT_CLIENT_PER_MINUTE,
      ipPerMinute: env.RATE_LIMIT_IP_PER_MINUTE,
      authPerMinute: env.RATE_LIMIT_AUTH_PER_MINUTE,
    };
    this.idempotency = {
      retentionHours: env.IDEMPOTENCY_RETENTION_HOURS,
      leaseSeconds: env.IDEMPOTENCY_LEASE_SECONDS,
    };
    this.devFallback = { embeddedPgPort: env.EMBEDDED_PG_PORT, localRedisPort: env.LOCAL_REDIS_PORT };
    this.deliveries = {
      retryScheduleSeconds: env.DELIVERY_RETRY_SCHEDULE_SECONDS.split(',').map((s) => Number(s.trim())),
      disableAfterFailingSeconds: env.DELIVERY_DISABLE_AFTER_FAILING_SECONDS,
      concurrency: env.DELIVERY_CONCURRENCY,
      allowLoopback: env.DELIVERY_ALLOW_LOOPBACK,
      caFile: env.DELIVERY_CA_FILE ? resolve(env.DELIVERY_CA_FILE) : undefined,
    };
    this.subprocessors = {
      siemVendorId: env.SIEM_VENDOR_ID,
      logSinkVendorId: env.LOG_SINK_VENDOR_ID,
      kmsVendorId: env.KMS_VENDOR_ID,
    };
    this.metrics = {
      token: env.METRICS_TOKEN
        ? { value: env.METRICS_TOKEN }
        : env.METRICS_TOKEN_FILE
          ? { file: resolve(env.METRICS_TOKEN_FILE) }
          : undefined,
    };
    this.keys = keyProviderConfig(env);
    const [days, hours] = env.BUSINESS_HOURS_UTC.split(' ');
    const [firstDay, lastDay] = days.split('-').map(Number);
    const [startHour, endHour] = hours.split('-').map(Number);
    this.alertRules = {
      businessHours: { firstDay, lastDay, startHour, endHour },
      bulkReadPerHour: env.ALERT_BULK_READ_PER_HOUR,
      ipLearningRequests: env.ALERT_IP_LEARNING_REQUESTS,
    };
    this.audit = {
      checkpointEveryEvents: env.AUDIT_CHECKPOINT_EVERY_EVENTS,
      checkpointIntervalSeconds: env.AUDIT_CHECKPOINT_INTERVAL_SECONDS,
      checkpointDir: resolve(env.AUDIT_CHECKPOINT_DIR ?? `${env.DATA_DIR}/audit-checkpoints`),
      signingKeyFile: resolve(env.AUDIT_SIGNING_KEY_FILE ?? `${env.DATA_DIR}/keys/audit-signing.key`),
      securityWebhook:
        env.SECURITY_WEBHOOK_URL && env.SECURITY_WEBHOOK_SECRET
          ? { url: env.SECURITY_WEBHOOK_URL, secret: env.SECURITY_WEBHOOK_SECRET }
          : undefined,
    };
  }
}

// validateEnvironment has already refused a missing variable the chosen provider requires.
function keyProviderConfig(env: EnvironmentVariables): KeyProviderConfig {
  const localKekFile = resolve(env.LOCAL_KEK_FILE ?? `${env.DATA_DIR}/keys/local-kek.key`);
  switch (env.KEY_PROVIDER) {
    case 'local':
      return { provider: 'local', localKekFile };
    case 'aws-kms':
      return {
        provider: 'aws-kms',
        localKekFile,
        awsKms: { keyId: env.AWS_KMS_KEY_ID!, region: env.AWS_REGION!, endpoint: env.AWS_KMS_ENDPOINT },
      };
    case 'vault-transit':
      return {
        provider: 'vault-transit',
        localKekFile,
        vaultTransit: {
          addr: env.VAULT_ADDR!,
          token: env.VAULT_TOKEN_FILE ? { file: resolve(env.VAULT_TOKEN_FILE) } : { value: env.VAULT_TOKEN! },
          mount: env.VAULT_TRANSIT_MOUNT,
          key: env.VAULT_TRANSIT_KEY!,
          namespace: env.VAULT_NAMESPACE,
        },
      };
  }
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Validates `raw` (normally `process.env`) plus overrides and returns the typed configuration. */
export function loadAppConfig(
  raw: Record<string, string | undefined>,
  overrides: Record<string, string | undefined> = {},
): AppConfig {
  return new AppConfig(validateEnvironment({ ...raw, ...overrides }));
}
