import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { deleteRedisKeys, freePort, testTlsFiles } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { TEST_PG_ADMIN_URL, TEST_REDIS_URL } from './support/services';

const CLI = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
const STEPS = 10;

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function query<T extends Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The demo's processes are gone: connecting to their ports is refused. */
async function expectNothingListensOn(ports: string[]): Promise<void> {
  for (const port of ports) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(`port ${port}: listening`);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`port ${port}: ${error.code}`));
    });
    expect(outcome).toBe(`port ${port}: ECONNREFUSED`);
  }
}

/**
 * The distinctive ePHI of a sim member document (names, SSN, email, phone, street): values that
 * could not turn up in the output by coincidence, unlike enums ("family") or dates.
 */
function canaries(document: unknown): string[] {
  const d = document as {
    identity?: { givenName?: string; familyName?: string };
    governmentId?: { ssn?: string };
    contact?: { email?: string; phone?: string; address?: { line1?: string } };
  };
  return [
    d.identity?.givenName,
    d.identity?.familyName,
    d.governmentId?.ssn,
    d.contact?.email,
    d.contact?.phone,
    d.contact?.address?.line1,
  ].filter((v): v is string => typeof v === 'string' && v.length >= 5);
}

/**
 * `npm run demo` as a newcomer runs it (the built CLI, `demo`), against a database of its own: it
 * starts the launcher and the membership-sim, proves each of the ten steps, leaves a populated
 * install, stops what it started, and runs again on the same install.
 */
describe('npm run demo', () => {
  let database: TestDatabase;
  const prefix = `t_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'msync-demo-'));
  const running = new Set<ReturnType<typeof spawn>>();
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const tls = testTlsFiles();
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TLS_CERT_FILE: tls.cert,
      TLS_KEY_FILE: tls.key,
      HTTP_PORT: String(await freePort()),
      SIM_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    for (const child of running) {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await deleteRedisKeys(prefix);
    await database?.drop();
    // The demo keeps the sim's store beside ours: `<database>_sim`.
    await query(TEST_PG_ADMIN_URL, `drop database if exists "${database?.name}_sim" with (force)`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  function demo(args: string[]): Promise<DemoRun> {
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      const child = spawn(process.execPath, [CLI, 'demo', ...args], {
        cwd: dataDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => {
        running.delete(child);
        resolve({ code, stdout, stderr });
      });
    });
  }

  function expectEveryStepProved(run: DemoRun): void {
    // stderr first: it names the step that failed, and long outputs get cut from the end.
    const failure = `exit ${run.code}\n${run.stderr}\n${run.stdout}`;
    expect({ code: run.code, failure }).toEqual({ code: 0, failure });
    for (let n = 1; n <= STEPS; n += 1) expect(run.stdout).toMatch(new RegExp(`^✓ ${n}\\. \\S.*: \\S`, 'm'));
    expect(run.stdout).not.toContain('✗');
  }

  it('walks through the ten steps, leaves a populated install and stops what it started', async () => {
    const run = await demo(['--members', '120']);
    expectEveryStepProved(run);
    expect(run.stdout).toContain(`Queue dashboard  https://localhost:${env.HTTP_PORT}/admin/queues`);

    // Populated: seeded members plus the sim's, a dead-lettered delivery, an open alert, audit events.
    const [counts] = await query<{ members: string; alerts: string; events: string }>(
      database.url,
      `select (select count(*) from member) as members,
              (select count(*) from alert where type = 'api_key_outside_allowlist' and acknowledged_at is null) as alerts,
              (select count(*) from audit_event) as events`,
    );
    expect(Number(counts.members)).toBeGreaterThanOrEqual(120 + 13);
    expect(Number(counts.alerts)).toBe(1);
    expect(Number(counts.events)).toBeGreaterThan(100);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.zcard(`{${prefix}}:deliveries:failed`)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }

    // The demo admins' sign-in details, for the owner's eyes only.
    const adminsFile = join(dataDir, 'demo-admins.json');
    expect(statSync(adminsFile).mode & 0o777).toBe(0o600);
    const admins = JSON.parse(readFileSync(adminsFile, 'utf8')) as {
      admins: Array<{ role: string; email: string; password: string; totpSecret: string }>;
    };
    expect(admins.admins.map((a) => a.role).sort()).toEqual([
      'compliance_officer',
      'operator',
      'security_admin',
    ]);
    for (const admin of admins.admins) expect(admin.totpSecret).toMatch(/^[A-Z2-7]{16,}$/);

    // No member value in what it printed: the sim's own store holds them in clear (the positive
    // control: values are there to be found), and none of them is in the output.
    const documents = await query<{ document: unknown }>(
      `${database.url}_sim`,
      'select document from sim_member',
    );
    const values = [...new Set(documents.flatMap((d) => canaries(d.document)))];
    expect(values.length).toBeGreaterThan(50);
    expect(values.filter((v) => run.stdout.includes(v) || run.stderr.includes(v))).toEqual([]);

    // Nothing it started is still listening.
    await expectNothingListensOn([env.HTTP_PORT, env.SIM_PORT]);
  }, 150_000);

  it('runs again on the same install with new admins, and proves every step again', async () => {
    const before = readFileSync(join(dataDir, 'demo-admins.json'), 'utf8');
    const run = await demo(['--members', '10']);
    expectEveryStepProved(run);
    const after = readFileSync(join(dataDir, 'demo-admins.json'), 'utf8');
    expect(after).not.toEqual(before);
    const [admins] = await query<{ n: string }>(database.url, 'select count(*) as n from admin_user');
    expect(Number(admins.n)).toBe(6);
  }, 150_000);

  it('fails loudly, naming the step that did not prove its claim, and still stops what it started', async () => {
    // Three admin sign-ins against a limit of two a minute: the bootstrap cannot sign them all in.
    env = { ...env, RATE_LIMIT_AUTH_PER_MINUTE: '2' };
    const run = await demo(['--members', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✗ 1\. bootstrap: \w+ sign-in with password \+ TOTP: expected 200, got 429/m);
    expect(run.stdout).not.toMatch(/^✓ 1\./m);
    expect(run.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // one line, no stack trace
    await expectNothingListensOn([env.HTTP_PORT, env.SIM_PORT]);
  }, 120_000);
});
