import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';

/** Connection options for ioredis and BullMQ; `rediss://` gets TLS with the configured CA. */
export function redisOptions(redis: AppConfig['redis']): Omit<RedisOptions, 'retryStrategy'> {
  // retryStrategy is left to ioredis' default (its type also differs between ioredis 6 and BullMQ's).
  const url = new URL(redis.url);
  const tls =
    url.protocol === 'rediss:'
      ? {
          ...(redis.tlsCaFile ? { ca: readFileSync(redis.tlsCaFile, 'utf8') } : {}),
          rejectUnauthorized: true,
        }
      : undefined;
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls,
    // BullMQ needs blocking commands to wait indefinitely rather than fail after N retries.
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}

/**
 * The commands client of a process (rate limits, revocations, caches, locks): unlike BullMQ's blocking
 * connections, a command that gets no answer within the timeout fails (a queued one too, while Redis
 * is down), so a request is answered 503 instead of waiting for Redis without bound.
 */
export function createRedis(redis: AppConfig['redis'], connectionName: string): Redis {
  return new Redis({ ...redisOptions(redis), connectionName, commandTimeout: redis.commandTimeoutMs });
}

/** True for ioredis' own failures to reach Redis (timeout, closed connection, retries spent). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Command timed out' ||
    error.message === 'Connection is closed.'
  );
}
