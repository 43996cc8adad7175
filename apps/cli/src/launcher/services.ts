import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AppConfig, loadAppConfig } from '@app/common';
import { createDatabaseFor, probeDatabase, startEmbeddedPostgres } from './database';
import { ServiceUnavailable } from './service-unavailable';
import { REDIS_HELP, redisAnswers, redisServerOnPath, startLocalRedis } from './redis';

export { ServiceUnavailable };

export function safeTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? 5432 : 6379)}`;
}

/**
 * Finds a PostgreSQL and a Redis to use: the configured ones if they answer (creating the database
 * if the server lacks it), else a dev fallback already running under DATA_DIR, else (when
 * `mayStart`, outside production) starts one. Returns the config pointing at what was found.
 * Progress lines go to `say` (stdout by default; commands whose stdout is data pass stderr).
 */
export async function resolveServices(
  config: AppConfig,
  env: Record<string, string | undefined>,
  options: { mayStart: boolean; say?: (line: string) => void },
): Promise<{ config: AppConfig; stops: Array<() => Promise<void>> }> {
  const say = options.say ?? ((line: string) => console.log(line));
  const production = config.env === 'production';
  const overrides: Record<string, string> = {};
  const stops: Array<() => Promise<void>> = [];

  const probe = await probeDatabase(config.database.url);
  if (probe === 'missing-database') {
    await createDatabaseFor(config.database.url);
    say(`• created the database on ${safeTarget(config.database.url)}`);
  } else if (probe === 'unreachable') {
    if (production)
      throw new ServiceUnavailable(
        `PostgreSQL does not answer at DATABASE_URL (${safeTarget(config.database.url)}).`,
      );
    const embeddedUrl = existingEmbeddedUrl(config.dataDir, config.devFallback.embeddedPgPort);
    if (embeddedUrl && (await probeDatabase(embeddedUrl)) === 'ok') {
      overrides.DATABASE_URL = embeddedUrl;
      say('• PostgreSQL at DATABASE_URL does not answer; using the running embedded PostgreSQL');
    } else if (options.mayStart) {
      say(
        `• PostgreSQL does not answer at ${safeTarget(config.database.url)}; starting an embedded PostgreSQL in ${join(config.dataDir, 'pg')}`,
      );
      const embedded = await startEmbeddedPostgres(config.dataDir, config.devFallback.embeddedPgPort);
      overrides.DATABASE_URL = embedded.url;
      stops.push(() => embedded.stop());
    } else {
      throw new ServiceUnavailable(
        `PostgreSQL does not answer at DATABASE_URL (${safeTarget(config.database.url)}): keep \`npm start\` running in another terminal (it starts an embedded PostgreSQL when none answers), or set DATABASE_URL.`,
      );
    }
  }

  if (!(await redisAnswers(config.redis))) {
    if (production)
      throw new ServiceUnavailable(`Redis does not answer at REDIS_URL (${safeTarget(config.redis.url)}).`);
    const localUrl = `redis://127.0.0.1:${config.devFallback.localRedisPort}`;
    if (await redisAnswers({ ...config.redis, url: localUrl })) {
      overrides.REDIS_URL = localUrl;
      say('• Redis at REDIS_URL does not answer; using the running local redis-server');
    } else if (options.mayStart) {
      if (!redisServerOnPath()) throw new ServiceUnavailable(REDIS_HELP);
      say(
        `• Redis does not answer at ${safeTarget(config.redis.url)}; starting redis-server in ${join(config.dataDir, 'redis')}`,
      );
      const local = await startLocalRedis(config.dataDir, config.devFallback.localRedisPort);
      overrides.REDIS_URL = local.url;
      stops.push(() => stopChild(local.child));
    } else {
      throw new ServiceUnavailable(
        `Redis does not answer at REDIS_URL (${safeTarget(config.redis.url)}): keep \`npm start\` running in another terminal (it starts redis-server when none answers), or set REDIS_URL.`,
      );
    }
  }
  return { config: Object.keys(overrides).length > 0 ? loadAppConfig(env, overrides) : config, stops };
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
