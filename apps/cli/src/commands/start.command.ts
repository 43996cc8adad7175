import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AppConfig, ConfigError, loadAppConfig } from '@app/common';
import { onShutdownSignal, readEnvironment } from '@app/common/process/bootstrap';
import { createApiApplication } from '../../../api/src/http-app';
import { createWorkerApplication } from '../../../worker/src/worker-app';
import { ensureDevCertificate } from '../launcher/dev-tls';
import { ensureLocalKeyFile } from '../launcher/local-key-file';
import { createDatabaseFor, probeDatabase, startEmbeddedPostgres } from '../launcher/database';
import { REDIS_HELP, redisAnswers, redisServerOnPath, startLocalRedis } from '../launcher/redis';
import { migrateUp } from '../launcher/migrations';

export type StartMode = 'all' | 'api' | 'worker';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function safeTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? 5432 : 6379)}`;
}

/**
 * `npm start`: prepares a working install on first run (dev TLS certificate, local key file, a
 * database and Redis if none answer), applies migrations, then runs the API and/or the worker.
 */
export async function startCommand(mode: StartMode): Promise<void> {
  const env = readEnvironment();
  let config: AppConfig;
  try {
    config = loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const production = config.env === 'production';
  const stops: Array<() => Promise<void>> = [];

  if (!existsSync(config.tls.certFile) || !existsSync(config.tls.keyFile)) {
    if (production) fail('TLS_CERT_FILE / TLS_KEY_FILE do not exist; production needs a real certificate.');
    await ensureDevCertificate(config.tls.certFile, config.tls.keyFile);
    console.log(`• generated a self-signed dev TLS certificate in ${config.tls.certFile}`);
  }
  if (config.keys.provider === 'local' && !existsSync(config.keys.localKekFile)) {
    if (production) fail('LOCAL_KEK_FILE does not exist; production must mount its key file (or use a KMS).');
    await ensureLocalKeyFile(config.keys.localKekFile);
    console.log(`• generated a local key-encryption key file (mode 0600) in ${config.keys.localKekFile}`);
  }

  const overrides: Record<string, string> = {};
  const probe = await probeDatabase(config.database.url);
  if (probe === 'missing-database') {
    await createDatabaseFor(config.database.url);
    console.log(`• created the database on ${safeTarget(config.database.url)}`);
  } else if (probe === 'unreachable') {
    if (production) fail(`PostgreSQL does not answer at DATABASE_URL (${safeTarget(config.database.url)}).`);
    const embeddedUrl = existingEmbeddedUrl(config.dataDir, config.devFallback.embeddedPgPort);
    if (embeddedUrl && (await probeDatabase(embeddedUrl)) === 'ok') {
      overrides.DATABASE_URL = embeddedUrl;
      console.log(`• PostgreSQL at DATABASE_URL does not answer; using the running embedded PostgreSQL`);
    } else {
      console.log(
        `• PostgreSQL does not answer at ${safeTarget(config.database.url)}; starting an embedded PostgreSQL in ${join(config.dataDir, 'pg')}`,
      );
      const embedded = await startEmbeddedPostgres(config.dataDir, config.devFallback.embeddedPgPort);
      overrides.DATABASE_URL = embedded.url;
      stops.push(() => embedded.stop());
    }
  }

  if (!(await redisAnswers(config.redis))) {
    if (production) fail(`Redis does not answer at REDIS_URL (${safeTarget(config.redis.url)}).`);
    const localUrl = `redis://127.0.0.1:${config.devFallback.localRedisPort}`;
    if (await redisAnswers({ ...config.redis, url: localUrl })) {
      overrides.REDIS_URL = localUrl;
      console.log('• Redis at REDIS_URL does not answer; using the running local redis-server');
    } else {
      if (!redisServerOnPath()) fail(REDIS_HELP);
      console.log(
        `• Redis does not answer at ${safeTarget(config.redis.url)}; starting redis-server in ${join(config.dataDir, 'redis')}`,
      );
      const local = await startLocalRedis(config.dataDir, config.devFallback.localRedisPort);
      overrides.REDIS_URL = local.url;
      stops.push(() => stopChild(local.child));
    }
  }
  if (Object.keys(overrides).length > 0) config = loadAppConfig(env, overrides);

  const applied = await migrateUp(config.database);
  console.log(
    applied.length ? `• applied migrations: ${applied.join(', ')}` : '• database schema is up to date',
  );

  const closers: Array<() => Promise<void>> = [];
  if (mode === 'all' || mode === 'worker') {
    const worker = await createWorkerApplication(config);
    closers.push(() => worker.close());
  }
  if (mode === 'all' || mode === 'api') {
    const api = await createApiApplication(config);
    await api.listen(config.http.port, config.http.host);
    // The API stops taking requests first, so in-flight ones finish before workers drain.
    closers.unshift(() => api.close());
    const base = `https://localhost:${config.http.port}`;
    console.log(`\nMember-sync API is up (${mode === 'all' ? 'API + worker' : 'API only'}):
  API docs         ${base}/api/docs   (OpenAPI: ${base}/api/openapi.json)
  Health           ${base}/health/live   ${base}/health/ready
  Queue dashboard  ${base}/admin/queues   (admin token required)
Press Ctrl-C to stop; in-flight requests and jobs finish first.`);
  } else {
    console.log('\nMember-sync worker is up. Press Ctrl-C to stop; running jobs finish first.');
  }

  onShutdownSignal(config.http.shutdownTimeoutMs, async () => {
    for (const close of closers) await close();
    for (const stop of stops.reverse()) await stop();
  });
}

function existingEmbeddedUrl(dataDir: string, port: number): string | undefined {
  const secretFile = join(dataDir, 'pg-password');
  if (!existsSync(secretFile)) return undefined;
  const password = readFileSync(secretFile, 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/member_sync`;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
