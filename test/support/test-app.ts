import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import request from 'supertest';
import { AppConfig, Clock, loadAppConfig } from '@app/common';
import { createApiApplication } from '../../apps/api/src/http-app';
import { migrateUp } from '../../apps/cli/src/launcher/migrations';
import { createTestDatabase, TestDatabase } from './test-database';
import { TEST_REDIS_URL, TEST_TLS_DIR } from './services';

export interface TestApi {
  app: NestFastifyApplication;
  config: AppConfig;
  database: TestDatabase;
  baseUrl: string;
  /** A supertest client for the HTTPS server that trusts the suite's self-signed certificate. */
  http(): ReturnType<typeof request.agent>;
  close(): Promise<void>;
}

export function testTlsFiles() {
  return {
    cert: join(TEST_TLS_DIR, 'cert.pem'),
    key: join(TEST_TLS_DIR, 'key.pem'),
    kek: join(TEST_TLS_DIR, 'kek.key'),
  };
}

/** Its own database (migrated), its own Redis key prefix, a real HTTPS listener on a free port. */
export async function startTestApi(
  options: {
    imports?: ModuleMetadata['imports'];
    env?: Record<string, string>;
    clock?: Clock;
    /** Reuse another suite app's database and Redis prefix (a second API process). */
    shareWith?: TestApi;
  } = {},
): Promise<TestApi> {
  const database = options.shareWith?.database ?? (await createTestDatabase());
  // The port is chosen first so the OAuth issuer (PUBLIC_BASE_URL) is the URL clients really use.
  const port = await freePort();
  const tls = testTlsFiles();
  const config = testConfig(database, {
    REDIS_KEY_PREFIX: options.shareWith?.config.redis.keyPrefix ?? `t_${randomBytes(5).toString('hex')}`,
    LOCAL_KEK_FILE: options.shareWith?.config.keys.localKekFile ?? suiteKekFile(),
    AUDIT_CHECKPOINT_DIR:
      options.shareWith?.config.audit.checkpointDir ?? mkdtempSync(join(tmpdir(), 'msync-checkpoints-')),
    HTTP_PORT: String(port),
    // A second process of the same install shares its public URL (the token issuer).
    PUBLIC_BASE_URL: options.shareWith?.config.auth.issuer ?? `https://127.0.0.1:${port}`,
    ...options.env,
  });
  if (!options.shareWith) await migrateUp(config.database);
  const app = await createApiApplication(config, { imports: options.imports, clock: options.clock });
  await app.listen(port, '127.0.0.1');
  const baseUrl = `https://127.0.0.1:${port}`;
  const ca = readFileSync(tls.cert);
  return {
    app,
    config,
    database,
    baseUrl,
    http: () => request.agent(baseUrl).ca(ca),
    close: async () => {
      await app.close();
      if (options.shareWith) return;
      await deleteRedisKeys(config.redis.keyPrefix);
      await database.drop();
    },
  };
}

/**
 * The configuration every test process uses: its own database, a fresh Redis key prefix, a fresh
 * KEK copy and checkpoint directory, silent logs; `env` overrides any of it.
 */
export function testConfig(database: TestDatabase, env: Record<string, string> = {}): AppConfig {
  const tls = testTlsFiles();
  return loadAppConfig(
    {},
    {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `t_${randomBytes(5).toString('hex')}`,
      TLS_CERT_FILE: tls.cert,
      TLS_KEY_FILE: tls.key,
      LOCAL_KEK_FILE: env.LOCAL_KEK_FILE ?? suiteKekFile(),
      AUDIT_SIGNING_KEY_FILE: join(TEST_TLS_DIR, 'audit-signing.key'),
      AUDIT_CHECKPOINT_DIR: mkdtempSync(join(tmpdir(), 'msync-checkpoints-')),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      PUBLIC_BASE_URL: 'https://127.0.0.1:8443',
      LOG_LEVEL: 'silent',
      ...env,
    },
  );
}

/** Each suite gets its own copy of the test KEK: a rotation in one suite must not touch another's. */
function suiteKekFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'msync-kek-')), 'kek.key');
  copyFileSync(testTlsFiles().kek, path);
  chmodSync(path, 0o600);
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`, `{${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
