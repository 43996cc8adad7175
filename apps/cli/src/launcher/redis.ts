import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisOptions, type AppConfig } from '@app/common';

export const REDIS_HELP = `Redis is not answering at REDIS_URL and no redis-server is on PATH.
Install Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)
and start it, or point REDIS_URL at a running Redis (rediss:// with REDIS_TLS_CA_FILE for TLS).`;

export async function redisAnswers(redis: AppConfig['redis']): Promise<boolean> {
  const client = new Redis({
    ...redisOptions(redis),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts redis-server from PATH on loopback with its append-only file under `<dataDir>/redis`. */
export async function startLocalRedis(
  dataDir: string,
  port = 6389,
): Promise<{ url: string; child: ChildProcess }> {
  const dir = join(dataDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--protected-mode',
      'yes',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await redisAnswers({ url, keyPrefix: 'probe', commandTimeoutMs: 1000 })) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`redis-server did not answer on port ${port}`);
}
