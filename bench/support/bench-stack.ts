import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { AppConfig, loadAppConfig } from '@app/common';
import { createApiApplication } from '../../apps/api/src/http-app';
import { forkApiProcesses } from '../../apps/cli/src/launcher/api-cluster';
import { ensureDevCertificate } from '../../apps/cli/src/launcher/dev-tls';
import { ensureLocalKeyFile } from '../../apps/cli/src/launcher/local-key-file';
import { migrateUp } from '../../apps/cli/src/launcher/migrations';
import { onInterrupt } from './run-context';

export interface BenchStackOptions {
  pgAdminUrl: string;
  redisUrl: string;
  /** Extra configuration for the API (rate limits, pool size). */
  env: Record<string, string>;
}

/**
 * Where benchmarks find PostgreSQL and Redis (BENCH_* or TEST_* overrides), with limits that would
 * otherwise throttle the load itself.
 */
export function defaultBenchStackOptions(): BenchStackOptions {
  return {
    pgAdminUrl:
      process.env.BENCH_PG_ADMIN_URL ??
      process.env.TEST_PG_ADMIN_URL ??
      'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    env: {
      RATE_LIMIT_CLIENT_PER_MINUTE: '100000000',
      RATE_LIMIT_IP_PER_MINUTE: '100000000',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      AUTH_FAILURE_ALERT_THRESHOLD: '100000',
    },
  };
}

/** A throwaway install: its own database, Redis prefix, TLS certificate and KEK, and the API on HTTPS. */
export interface BenchStack {
  app: NestFastifyApplication;
  config: AppConfig;
  baseUrl: string;
  /** The API's self-signed certificate, to trust it. */
  ca: string;
  databaseName: string;
  databaseUrl: string;
  /** The API's environment (configuration), for another process of the same install. */
  env: Readonly<Record<string, string>>;
  /**
   * Starts `processes` more API processes on a port of their own, as `npm start` does with
   * API_PROCESSES (the launcher's cluster code, same configuration and database); closed with the stack.
   */
  startApiProcesses(processes: number): Promise<ApiProcesses>;
  /** Runs `cleanup` when the stack closes (before the database is dropped). */
  defer(cleanup: () => Promise<unknown>): void;
  close(): Promise<void>;
}

export interface ApiProcesses {
  baseUrl: string;
  pids(): number[];
  stop(): Promise<void>;
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

async function onAdmin(pgAdminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: pgAdminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
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

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const suffix = randomBytes(5).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'msync-bench-'));
  const databaseName = `msync_bench_${suffix}`;
  const databaseUrl = Object.assign(new URL(options.pgAdminUrl), { pathname: `/${databaseName}` }).toString();
  const redisPrefix = `bench_${suffix}`;
  const cleanups: Array<() => Promise<void>> = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  ];
  // Also on Ctrl-C: the database is dropped, the Redis keys deleted and the API processes stopped.
  const close = onInterrupt(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  try {
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), kek: join(dir, 'kek.key') };
    await ensureDevCertificate(files.cert, files.key);
    await ensureLocalKeyFile(files.kek);
    await onAdmin(options.pgAdminUrl, `create database "${databaseName}"`);
    cleanups.push(() =>
      onAdmin(options.pgAdminUrl, `drop database if exists "${databaseName}" with (force)`),
    );
    cleanups.push(() => deleteRedisKeys(options.redisUrl, redisPrefix));
    const port = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      // Everything the API writes to disk (audit checkpoints, generated keys) stays in the throwaway directory.
      DATA_DIR: dir,
      DATABASE_URL: databaseUrl,
      REDIS_URL: options.redisUrl,
      REDIS_KEY_PREFIX: redisPrefix,
      TLS_CERT_FILE: files.cert,
      TLS_KEY_FILE: files.key,
      LOCAL_KEK_FILE: files.kek,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      PUBLIC_BASE_URL: `https://127.0.0.1:${port}`,
      LOG_LEVEL: 'silent',
      ...options.env,
    };
    const config = loadAppConfig({}, env);
    await migrateUp(config.database);
    const app = await createApiApplication(config);
    cleanups.push(() => app.close());
    await app.listen(port, '127.0.0.1');
    return {
      app,
      config,
      baseUrl: `https://127.0.0.1:${port}`,
      ca: readFileSync(files.cert, 'utf8'),
      databaseName,
      databaseUrl,
      env,
      startApiProcesses: async (processes) => {
        const clusterPort = await freePort();
        // Tokens name PUBLIC_BASE_URL as issuer and audience, so it stays the in-process API's.
        const apis = await forkApiProcesses({
          processes,
          env: { ...env, HTTP_PORT: String(clusterPort) },
          exec: join(__dirname, `api-process${extname(__filename)}`),
          execArgv: process.execArgv,
        });
        cleanups.push(() => apis.stop());
        return { baseUrl: `https://127.0.0.1:${clusterPort}`, pids: apis.pids, stop: apis.stop };
      },
      defer: (cleanup) => void cleanups.push(() => cleanup().then(() => undefined)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
