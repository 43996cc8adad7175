import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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
  stdout: () => string;
  exited: Promise<number | null>;
}

/** A Node stack frame (`    at fn (file:line:col)`): a newcomer should never see one. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

function launch(env: Record<string, string>, args = ['start', 'all']): Launched {
  let output = '';
  let stdout = '';
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'msync-cwd-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, stdout: () => stdout, exited };
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
    get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** Whether a process with this id still runs (signal 0 only checks). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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

    it('serves from two API processes when API_PROCESSES=2, and Ctrl-C stops all of them', async () => {
      // A database of its own: the one above already holds secrets wrapped by another key file.
      const own = await createTestDatabase();
      const httpPort = await freePort();
      const launched = launch({
        DATA_DIR: dataDir(),
        DATABASE_URL: own.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix(),
        HTTP_PORT: String(httpPort),
        HTTP_HOST: '127.0.0.1',
        API_PROCESSES: '2',
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
      });
      let servedBy: number[] = [];
      try {
        await waitFor(() => launched.output().includes('is up in 2 processes'), 90_000, 'startup', launched);
        // A new connection per request: the cluster hands connections out round-robin.
        for (let i = 0; i < 8; i++)
          expect(await getStatus(`https://127.0.0.1:${httpPort}/api/v1/members`)).toBe(401);
        // Which process answered shows in its request log line's pid (no header says so).
        const requestLogPids = () =>
          launched
            .stdout()
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as { pid?: number; req?: { path?: string }; res?: unknown })
            .filter((entry) => entry.res && entry.req?.path?.startsWith('/api/v1/members'))
            .map((entry) => entry.pid!);
        await waitFor(() => requestLogPids().length >= 8, 10_000, 'request log lines', launched);
        servedBy = [...new Set(requestLogPids())];
        expect(servedBy).toHaveLength(2);
        expect(servedBy).not.toContain(launched.child.pid);
        for (const pid of servedBy) expect(isAlive(pid)).toBe(true);
      } finally {
        launched.child.kill('SIGINT');
        await launched.exited;
        await own.drop();
      }
      expect(launched.child.exitCode).toBe(0);
      for (const pid of servedBy) expect(isAlive(pid)).toBe(false);
    }, 120_000);

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

  describe('a newcomer running a command before the first npm start', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database.drop());

    it('creates an admin in a fresh working directory: keys prepared, migrations applied, no stack trace', async () => {
      const dir = dataDir();
      const launched = launch(
        {
          DATA_DIR: dir,
          DATABASE_URL: database.url,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix(),
          ADMIN_PASSWORD: 'a synthetic passphrase of 30 chars',
          LOG_LEVEL: 'warn',
        },
        ['admin', 'create', '--email', 'first.admin@example.test', '--role', 'security_admin'],
      );
      expect(await launched.exited).toBe(0);
      expect(launched.output()).not.toMatch(STACK_FRAME);
      // stdout is the one JSON line a script parses; progress lines go to stderr.
      expect(JSON.parse(launched.stdout())).toMatchObject({
        email: 'first.admin@example.test',
        role: 'security_admin',
      });
      expect(statSync(join(dir, 'keys', 'local-kek.key')).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dir, 'keys', 'audit-signing.key'))).toBe(true);
    }, 30_000);

    it('never makes a new key-encryption key for a database that already holds secrets: one line instead', async () => {
      const own = await createTestDatabase();
      try {
        const env = {
          DATABASE_URL: own.url,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix(),
          ADMIN_PASSWORD: 'a synthetic passphrase of 30 chars',
          LOG_LEVEL: 'warn',
        };
        const args = ['admin', 'create', '--email', 'first.admin@example.test', '--role', 'operator'];
        expect(await launch({ ...env, DATA_DIR: dataDir() }, args).exited).toBe(0);

        const elsewhere = dataDir();
        const second = launch({ ...env, DATA_DIR: elsewhere }, args);
        expect(await second.exited).toBe(1);
        expect(second.output()).not.toMatch(STACK_FRAME);
        expect(second.output().trim().split('\n').pop()).toContain(
          'already holds secrets wrapped by one: set LOCAL_KEK_FILE',
        );
        expect(existsSync(join(elsewhere, 'keys', 'local-kek.key'))).toBe(false);
      } finally {
        await own.drop();
      }
    }, 30_000);

    it('says in one line to run npm start once or set DATABASE_URL when no database answers', async () => {
      const launched = launch(
        {
          DATA_DIR: dataDir(),
          DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/member_sync`,
          REDIS_URL: TEST_REDIS_URL,
          ADMIN_PASSWORD: 'a synthetic passphrase of 30 chars',
        },
        ['admin', 'create', '--email', 'first.admin@example.test', '--role', 'security_admin'],
      );
      expect(await launched.exited).toBe(1);
      expect(launched.output()).not.toMatch(STACK_FRAME);
      const lines = launched.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/npm start.*DATABASE_URL/);
    }, 30_000);
  });

  it('explains in one line, instead of crashing, when the postgres user cannot enter a folder above the data', async () => {
    // A folder only its owner may enter, as `mktemp -d` makes it.
    const closed = dataDir();
    expect(statSync(closed).mode & 0o777).toBe(0o700);
    const dir = join(closed, 'install');
    mkdirSync(dir);
    const launched = launch({
      DATA_DIR: dir,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/member_sync`,
      EMBEDDED_PG_PORT: String(await freePort()),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix(),
      HTTP_PORT: String(await freePort()),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    if (process.getuid?.() === 0) {
      // As root, embedded PostgreSQL runs as `postgres`, which cannot enter `closed`.
      expect(await launched.exited).toBe(1);
      expect(launched.output()).not.toMatch(STACK_FRAME);
      const last = launched.output().trim().split('\n').pop();
      expect(last).toContain(`chmod o+x ${closed}`);
      expect(last).toContain('DATABASE_URL');
    } else {
      // Any other user runs PostgreSQL as itself, and may enter its own folder.
      try {
        await waitFor(() => launched.output().includes('is up'), 30_000, 'startup', launched);
      } finally {
        launched.child.kill('SIGINT');
      }
      expect(await launched.exited).toBe(0);
    }
  }, 40_000);

  it('refuses a malformed variable with one line naming it', async () => {
    const launched = launch({ DATA_DIR: dataDir(), HTTP_PORT: 'eighty' });
    expect(await launched.exited).toBe(1);
    expect(launched.output().trim()).toBe('Invalid configuration: HTTP_PORT must be an integer number');
  }, 30_000);
});
