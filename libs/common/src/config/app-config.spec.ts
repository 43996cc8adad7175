import { loadAppConfig } from './app-config';
import { ConfigError } from './environment';

describe('loadAppConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const sut = loadAppConfig({});
    expect(sut.http).toMatchObject({
      port: 8443,
      trustProxy: false,
      corsOrigins: [],
      bodyLimitBytes: 1048576,
    });
    expect(sut.database.sslMode).toBe('disable');
    expect(sut.redis.keyPrefix).toBe('msync');
  });

  describe('log output', () => {
    const wasTty = process.stdout.isTTY;
    afterEach(() => {
      process.stdout.isTTY = wasTty;
    });

    it.each([
      ['a terminal', true, {}, true],
      ['a pipe', false, {}, false],
      ['a terminal with a log file', true, { LOG_FILE: '/tmp/msync.log' }, false],
      ['a pipe with LOG_PRETTY=true', false, { LOG_PRETTY: 'true' }, true],
      ['a terminal with LOG_PRETTY=false', true, { LOG_PRETTY: 'false' }, false],
    ])('prints pretty lines on %s: %s', (_where, tty, env, pretty) => {
      process.stdout.isTTY = tty;
      expect(loadAppConfig(env).log.pretty).toBe(pretty);
    });
  });

  it('gives the sync batch route 1,000 × 16 KiB by default, configurable, and refuses over 64 MiB', () => {
    expect(loadAppConfig({}).http.syncBatchBodyLimitBytes).toBe(16_384_000);
    expect(loadAppConfig({ SYNC_BATCH_BODY_LIMIT_BYTES: '2097152' }).http.syncBatchBodyLimitBytes).toBe(
      2097152,
    );
    expect(() => loadAppConfig({ SYNC_BATCH_BODY_LIMIT_BYTES: String(64 * 1024 * 1024 + 1) })).toThrow(
      /^Invalid configuration: SYNC_BATCH_BODY_LIMIT_BYTES /,
    );
  });

  it('runs one API process unless API_PROCESSES asks for more, and refuses none', () => {
    expect(loadAppConfig({}).http.processes).toBe(1);
    expect(loadAppConfig({ API_PROCESSES: '4' }).http.processes).toBe(4);
    expect(() => loadAppConfig({ API_PROCESSES: '0' })).toThrow(
      new ConfigError('Invalid configuration: API_PROCESSES must not be less than 1'),
    );
  });

  it('keeps idempotency keys 24 hours with a 60 s lease by default, and refuses a retention under 24 hours', () => {
    expect(loadAppConfig({}).idempotency).toEqual({ retentionHours: 24, leaseSeconds: 60 });
    expect(loadAppConfig({ IDEMPOTENCY_RETENTION_HOURS: '72' }).idempotency.retentionHours).toBe(72);
    expect(() => loadAppConfig({ IDEMPOTENCY_RETENTION_HOURS: '23' })).toThrow(
      new ConfigError('Invalid configuration: IDEMPOTENCY_RETENTION_HOURS must not be less than 24'),
    );
  });

  it('parses trust proxy as a boolean, a hop count or a CIDR list', () => {
    expect(loadAppConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadAppConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.1',
    ]);
  });

  it.each([
    ['HTTP_PORT', 'eighty', /^Invalid configuration: HTTP_PORT must be an integer number$/],
    [
      'DATABASE_URL',
      'mysql://x',
      /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ connection URL$/,
    ],
    ['REDIS_URL', 'http://x', /^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/],
    ['DATABASE_SSL_MODE', 'sometimes', /^Invalid configuration: DATABASE_SSL_MODE must be one of/],
    ['CORS_ORIGINS', '*', /^Invalid configuration: CORS_ORIGINS must be empty or a comma-separated list/],
  ])('stops on a malformed %s with one line naming it', (name, value, message) => {
    const attempt = () => loadAppConfig({ [name]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  describe('admin OIDC', () => {
    const oidc = {
      ADMIN_OIDC_ISSUER: 'https://idp.example.test',
      ADMIN_OIDC_JWKS_URL: 'https://idp.example.test/.well-known/jwks.json',
    };

    it.each([
      ['ADMIN_OIDC_ISSUER', { ...oidc, ADMIN_OIDC_ISSUER: 'http://idp.example.test' }],
      ['ADMIN_OIDC_JWKS_URL', { ...oidc, ADMIN_OIDC_JWKS_URL: 'http://idp.example.test/jwks.json' }],
    ])('stops boot in production on a plain-http %s with one line naming it', (name, env) => {
      const attempt = () => loadAppConfig({ ...env, NODE_ENV: 'production' });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(
        new ConfigError(`Invalid configuration: ${name} must be an https:// URL in production`),
      );
    });

    it('accepts https OIDC URLs in production and a plain-http local issuer in development', () => {
      expect(loadAppConfig({ ...oidc, NODE_ENV: 'production' }).auth.adminOidc).toMatchObject({
        issuer: oidc.ADMIN_OIDC_ISSUER,
        jwksUrl: oidc.ADMIN_OIDC_JWKS_URL,
      });
      const local = {
        ADMIN_OIDC_ISSUER: 'http://127.0.0.1:9000',
        ADMIN_OIDC_JWKS_URL: 'http://127.0.0.1:9000/jwks',
      };
      expect(loadAppConfig({ ...local, NODE_ENV: 'development' }).auth.adminOidc?.issuer).toBe(
        local.ADMIN_OIDC_ISSUER,
      );
    });
  });

  it('never repeats the rejected value in the message', () => {
    expect(() => loadAppConfig({ DATABASE_URL: 'mysql://canary-secret@db' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('canary-secret') }),
    );
  });
  describe('key provider', () => {
    const kms = { KEY_PROVIDER: 'aws-kms', AWS_KMS_KEY_ID: 'alias/member-sync-kek', AWS_REGION: 'us-east-1' };
    const vault = {
      KEY_PROVIDER: 'vault-transit',
      VAULT_ADDR: 'https://vault.internal:8200',
      VAULT_TOKEN: 'hvs.canary-token',
      VAULT_TRANSIT_KEY: 'member-sync-kek',
    };

    it('defaults to the local key file and ignores remote settings', () => {
      expect(loadAppConfig({ AWS_REGION: 'not a region' }).keys).toEqual({
        provider: 'local',
        localKekFile: expect.stringMatching(/\.data\/keys\/local-kek\.key$/),
      });
    });

    it('builds the AWS KMS settings', () => {
      expect(loadAppConfig({ ...kms, AWS_KMS_ENDPOINT: 'http://127.0.0.1:4566' }).keys).toMatchObject({
        provider: 'aws-kms',
        awsKms: { keyId: 'alias/member-sync-kek', region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' },
      });
    });

    it('builds the Vault transit settings with the default mount', () => {
      expect(loadAppConfig(vault).keys).toMatchObject({
        provider: 'vault-transit',
        vaultTransit: {
          addr: 'https://vault.internal:8200',
          token: { value: 'hvs.canary-token' },
          mount: 'transit',
          key: 'member-sync-kek',
          namespace: undefined,
        },
      });
    });

    it('takes the Vault token from a file instead', () => {
      const { VAULT_TOKEN: _token, ...rest } = vault;
      expect(loadAppConfig({ ...rest, VAULT_TOKEN_FILE: '/run/vault/token' }).keys).toMatchObject({
        vaultTransit: { token: { file: '/run/vault/token' } },
      });
    });

    it.each([
      ['AWS_KMS_KEY_ID', kms, 'aws-kms'],
      ['AWS_REGION', kms, 'aws-kms'],
      ['VAULT_ADDR', vault, 'vault-transit'],
      ['VAULT_TOKEN', vault, 'vault-transit (or set VAULT_TOKEN_FILE)'],
      ['VAULT_TRANSIT_KEY', vault, 'vault-transit'],
    ])('stops with one line naming %s when its key provider needs it', (name, env, provider) => {
      const attempt = () => loadAppConfig({ ...env, [name]: undefined });
      expect(attempt).toThrow(ConfigError);
      // An error object compares the whole message: exactly one line, naming the variable.
      expect(attempt).toThrow(
        new ConfigError(`Invalid configuration: ${name} is required when KEY_PROVIDER=${provider}`),
      );
    });

    it.each([
      ['KEY_PROVIDER', { KEY_PROVIDER: 'hsm' }, /^Invalid configuration: KEY_PROVIDER must be one of/],
      [
        'AWS_REGION',
        { ...kms, AWS_REGION: 'Virginia' },
        /^Invalid configuration: AWS_REGION must be an AWS region/,
      ],
      [
        'AWS_KMS_KEY_ID',
        { ...kms, AWS_KMS_KEY_ID: 'my key' },
        /^Invalid configuration: AWS_KMS_KEY_ID must be a KMS key/,
      ],
      [
        'VAULT_TRANSIT_MOUNT',
        { ...vault, VAULT_TRANSIT_MOUNT: '../sys' },
        /^Invalid configuration: VAULT_TRANSIT_MOUNT must be a mount path/,
      ],
      [
        'VAULT_TOKEN_FILE beside VAULT_TOKEN',
        { ...vault, VAULT_TOKEN_FILE: '/run/vault/token' },
        /^Invalid configuration: VAULT_TOKEN_FILE cannot be set together with VAULT_TOKEN$/,
      ],
      [
        'plain-http VAULT_ADDR in production',
        { ...vault, NODE_ENV: 'production', VAULT_ADDR: 'http://vault.internal:8200' },
        /^Invalid configuration: VAULT_ADDR must be an https:\/\/ URL in production$/,
      ],
      [
        'plain-http AWS_KMS_ENDPOINT in production',
        { ...kms, NODE_ENV: 'production', AWS_KMS_ENDPOINT: 'http://127.0.0.1:4566' },
        /^Invalid configuration: AWS_KMS_ENDPOINT must be an https:\/\/ URL in production$/,
      ],
    ])('stops on a malformed %s with one line naming it', (_case, env, message) => {
      const attempt = () => loadAppConfig(env);
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(message);
    });

    it('never repeats the Vault token in the message', () => {
      expect(() => loadAppConfig({ ...vault, VAULT_TOKEN: 'hvs.canary secret' })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('canary') }),
      );
    });
  });

  describe('deliveries', () => {
    it('defaults to the Standard Webhooks schedule and no test-only switch', () => {
      expect(loadAppConfig({}).deliveries).toEqual({
        retryScheduleSeconds: [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
        disableAfterFailingSeconds: 432000,
        concurrency: 8,
        allowLoopback: false,
        caFile: undefined,
      });
    });

    it('reads a short schedule and the loopback switch outside production', () => {
      const sut = loadAppConfig({
        NODE_ENV: 'test',
        DELIVERY_RETRY_SCHEDULE_SECONDS: '0, 1,2',
        DELIVERY_ALLOW_LOOPBACK: 'true',
      });
      expect(sut.deliveries).toMatchObject({ retryScheduleSeconds: [0, 1, 2], allowLoopback: true });
    });

    it.each([
      ['DELIVERY_ALLOW_LOOPBACK', 'true'],
      ['DELIVERY_CA_FILE', '/tmp/test-ca.pem'],
    ])('stops boot in production when the test-only %s is set', (name, value) => {
      expect(() => loadAppConfig({ NODE_ENV: 'production', [name]: value })).toThrow(
        new ConfigError(`Invalid configuration: ${name} is for tests only and is refused in production`),
      );
    });

    it('reads the deliveries concurrency', () => {
      expect(loadAppConfig({ DELIVERY_CONCURRENCY: '32' }).deliveries.concurrency).toBe(32);
    });

    it.each(['0', '-1', '201', '2.5', 'many'])('refuses the deliveries concurrency %p', (value) => {
      expect(() => loadAppConfig({ DELIVERY_CONCURRENCY: value })).toThrow(
        /^Invalid configuration: DELIVERY_CONCURRENCY /,
      );
    });

    it.each(['', 'soon', '0,-5', '0,1.5', '0,,5'])('refuses the retry schedule %p', (value) => {
      const attempt = () => loadAppConfig({ DELIVERY_RETRY_SCHEDULE_SECONDS: value || ' ' });
      expect(attempt).toThrow(/^Invalid configuration: DELIVERY_RETRY_SCHEDULE_SECONDS /);
    });
  });

  describe('metrics token', () => {
    const token = 'm'.repeat(32);

    it('has no token unless one is configured (the route then answers 404)', () => {
      expect(loadAppConfig({}).metrics).toEqual({ token: undefined });
    });

    it('takes the token itself, or the path of the file holding it', () => {
      expect(loadAppConfig({ METRICS_TOKEN: token }).metrics.token).toEqual({ value: token });
      expect(loadAppConfig({ METRICS_TOKEN_FILE: '/run/secrets/metrics' }).metrics.token).toEqual({
        file: '/run/secrets/metrics',
      });
    });

    it.each([
      ['a short token', { METRICS_TOKEN: 'm'.repeat(31) }, /^Invalid configuration: METRICS_TOKEN /],
      [
        'a token with a space',
        { METRICS_TOKEN: `${'m'.repeat(32)} x` },
        /^Invalid configuration: METRICS_TOKEN /,
      ],
      [
        'both the token and its file',
        { METRICS_TOKEN: 'm'.repeat(32), METRICS_TOKEN_FILE: '/run/secrets/metrics' },
        /^Invalid configuration: METRICS_TOKEN_FILE /,
      ],
    ])('refuses %s', (_what, env, message) => {
      expect(() => loadAppConfig(env)).toThrow(message);
    });
  });

  describe('encryption in transit to PostgreSQL and Redis', () => {
    const remote = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://msync@db.internal:5432/member_sync',
      DATABASE_SSL_MODE: 'verify-full',
      REDIS_URL: 'rediss://cache.internal:6380',
    };

    it.each([
      [
        'DATABASE_SSL_MODE',
        'disable',
        { DATABASE_SSL_MODE: 'disable' },
        'must be verify-full in production when the database is on another host',
      ],
      [
        'DATABASE_SSL_MODE',
        'require (no server check)',
        { DATABASE_SSL_MODE: 'require' },
        'must be verify-full in production when the database is on another host',
      ],
      [
        'DATABASE_SSL_MODE',
        'disable, migrations on another host',
        {
          DATABASE_URL: 'postgres://msync@127.0.0.1/member_sync',
          DATABASE_SSL_MODE: 'disable',
          MIGRATION_DATABASE_URL: 'postgres://owner@db.internal/member_sync',
        },
        'must be verify-full in production when the database is on another host',
      ],
      [
        'REDIS_URL',
        'plain redis://',
        { REDIS_URL: 'redis://cache.internal:6379' },
        'must be a rediss:// URL in production when Redis is on another host',
      ],
    ])('stops a production boot when %s is %s', (name, _case, change, message) => {
      expect(() => loadAppConfig({ ...remote, ...change })).toThrow(
        new ConfigError(`Invalid configuration: ${name} ${message}`),
      );
    });

    it('boots in production with verified TLS to both', () => {
      const config = loadAppConfig(remote);
      expect(config.redis.url).toBe(remote.REDIS_URL);
    });

    it.each([
      ['loopback addresses', 'postgres://msync@127.0.0.1:5432/db', 'redis://127.0.0.1:6379'],
      ['localhost and IPv6 loopback', 'postgres://msync@localhost/db', 'redis://[::1]:6379'],
      ['a Unix socket', 'postgres://msync@/db?host=/var/run/postgresql', 'redis://localhost:6379'],
    ])('lets a production process reach %s in clear (the link never leaves the host)', (_what, db, redis) => {
      expect(() =>
        loadAppConfig({
          NODE_ENV: 'production',
          DATABASE_URL: db,
          DATABASE_SSL_MODE: 'disable',
          REDIS_URL: redis,
        }),
      ).not.toThrow();
    });

    it('leaves development free to use plain connections to another host', () => {
      expect(() =>
        loadAppConfig({ DATABASE_URL: remote.DATABASE_URL, REDIS_URL: 'redis://cache.internal:6379' }),
      ).not.toThrow();
    });
  });
});
