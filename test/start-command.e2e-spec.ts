import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:https';
import { deleteRedisKeys, freePort } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { TEST_REDIS_URL } from './support/services';

const CLI = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(env: Record<string, string>, args = ['start', 'all']): Launched {
  let output = '';
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'msync-cwd-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(
  predicate: () => boolean,
  ms: number,
  what: string,
  launched: Launched,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline || launched.child.exitCode !== null) {
      throw new Error(`${what} did not happen; output:\n${launched.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('npm start (the launcher)', () => {
  const dirs: string[] = [];
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deleteRedisKeys(prefix);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'msync-data-'));
    dirs.push(dir);
    return dir;
  }
  function prefix(): string {
    const p = `t_${randomBytes(5).toString('hex')}`;
    prefixes.push(p);
    return p;
  }

  it('starts on an embedded Postgres when DATABASE_URL points nowhere, then stops cleanly on Ctrl-C', async () => {
    const [httpPort, pgPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    const dir = dataDir();
    const launched = launch({
      DATA_DIR: dir,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${deadPort}/member_sync`,
      EMBEDDED_PG_PORT: String(pgPort),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix(),
      HTTP_PORT: String(httpPort),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    try {
      await waitFor(() => launched.output().includes('is up'), 90_000, 'startup', launched);
      expect(launched.output()).toContain('starting an embedded PostgreSQL');
      expect(launched.output()).toContain('generated a self-signed dev TLS certificate');
      expect(await getStatus(`https://127.0.0.1:${httpPort}/health/ready`)).toBe(200);
      // The key file and TLS key are private to the service user.
      expect(statSync(join(dir, 'keys', 'local-kek.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'tls', 'dev-key.pem')).mode & 0o777).toBe(0o600);
    } finally {
      launched.child.kill('SIGINT');
    }
    expect(await launched.exited).toBe(0);
  }, 120_000);

  describe('with a real database', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database.drop());

    it('explains, instead of crashing, when the database was created with another key-encryption key', async () => {
      const common = {
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix(),
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      };
      const first = launch({ ...common, DATA_DIR: dataDir(), HTTP_PORT: String(await freePort()) });
      await waitFor(() => first.output().includes('is up'), 60_000, 'first start', first);
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);

      const second = launch({ ...common, DATA_DIR: dataDir(), HTTP_PORT: String(await freePort()) });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain('holds secrets wrapped by a different key-encryption key');
    }, 90_000);

    it('explains how to get Redis when none answers and redis-server is not on PATH', async () => {
      const launched = launch({
        PATH: '/nonexistent',
        DATA_DIR: dataDir(),
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        LOCAL_REDIS_PORT: String(await freePort()),
      });
      expect(await launched.exited).toBe(1);
      expect(launched.output()).toContain(
        'Redis is not answering at REDIS_URL and no redis-server is on PATH',
      );
      expect(launched.output()).toContain('apt-get install redis-server');
    }, 60_000);
  });

  it('refuses a malformed variable with one line naming it', async () => {
    const launched = launch({ DATA_DIR: dataDir(), HTTP_PORT: 'eighty' });
    expect(await launched.exited).toBe(1);
    expect(launched.output().trim()).toBe('Invalid configuration: HTTP_PORT must be an integer number');
  }, 30_000);
});
