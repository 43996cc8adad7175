import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AdminRole, type AppConfig, ConfigError, loadAppConfig, readEnvironment } from '@app/common';
import { nodeHttpsFetch, type FetchFunction } from '@app/sdk';
import { DemoApi } from '../demo/demo-api';
import {
  DemoFailed,
  portIsFree,
  sleep,
  startProcess,
  tail,
  waitForOutput,
  type DemoProcess,
} from '../demo/demo-processes';
import { DemoWorkflow } from '../demo/demo-workflow';
import { resolveServices } from '../launcher/services';

export { DemoFailed };

const run = promisify(execFile);
const CLI = join(__dirname, '..', 'main.js');
const SIM = join(__dirname, '..', '..', '..', 'membership-sim', 'src', 'main.js');
const DEFAULT_SIM_PORT = 8444;
const DEFAULT_SEED_MEMBERS = 500;
/** Short waits between delivery attempts, so a failing delivery dead-letters while the demo runs. */
const DEMO_RETRY_SCHEDULE = '0,1,2';

/**
 * `demo [--keep-running] [--members N]`: starts the service (the launcher, `start all`) and the
 * membership-sim, walks through the workflow printing what each step proved (exit 1 naming the
 * step that did not), leaves a populated install, then stops what it started.
 */
export async function demoCommand(args: string[]): Promise<void> {
  const keepRunning = args.includes('--keep-running');
  const seedMembers = membersFlag(args);
  const env = readEnvironment();
  let config: AppConfig;
  try {
    config = loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new DemoFailed(error.message);
    throw error;
  }
  // The demo lets deliveries reach loopback and writes synthetic data: never against production.
  if (config.env === 'production') throw new DemoFailed('the demo refuses to run with NODE_ENV=production');
  const simPort = Number(env.SIM_PORT ?? DEFAULT_SIM_PORT);
  for (const [what, port, variable] of [
    ['the API', config.http.port, 'HTTP_PORT'],
    ['the membership-sim', simPort, 'SIM_PORT'],
  ] as const) {
    if (!(await portIsFree(port)))
      throw new DemoFailed(
        `port ${port} (${what}) is in use: stop what runs there (e.g. \`npm start\`), or set ${variable}`,
      );
  }

  const started = Date.now();
  const demoDir = join(config.dataDir, 'demo');
  await mkdir(demoDir, { recursive: true, mode: 0o700 });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`Starting the service (npm start's launcher) and the membership-sim; logs in ${demoDir}/`);
  const processes: DemoProcess[] = [];
  const stopAll = async () => {
    for (const proc of [...processes].reverse()) await proc.stop();
  };
  const interrupted = () => {
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);

  let ok = false;
  try {
    const service = startProcess(
      'the service',
      [CLI, 'start', 'all'],
      {
        ...process.env,
        // Deliveries to the carrier's (closed) loopback endpoint are attempted, retried and
        // dead-lettered within seconds. Both are refused at boot in production.
        DELIVERY_ALLOW_LOOPBACK: 'true',
        DELIVERY_RETRY_SCHEDULE_SECONDS: env.DELIVERY_RETRY_SCHEDULE_SECONDS ?? DEMO_RETRY_SCHEDULE,
        LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      },
      join(demoDir, 'service.log'),
    );
    processes.push(service);
    await waitForOutput(service, 'is up', 240_000);
    for (const line of service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('• '))) {
      const migrations = /^• applied migrations: (.*)$/.exec(line)?.[1].split(', ').length;
      say(`  ${migrations ? `• applied ${migrations} migrations` : line}`);
    }

    // What the launcher found or started (an embedded PostgreSQL, a local Redis).
    const resolved = (await resolveServices(config, env, { mayStart: false, say: () => undefined })).config;
    const feedToken = await demoFeedToken(demoDir);
    const sim = startProcess(
      'the membership-sim',
      [SIM],
      {
        ...process.env,
        SIM_PORT: String(simPort),
        SIM_HOST: '127.0.0.1',
        SIM_DATABASE_URL: env.SIM_DATABASE_URL ?? simDatabaseUrl(resolved.database.url),
        SIM_TLS_CERT_FILE: config.tls.certFile,
        SIM_TLS_KEY_FILE: config.tls.keyFile,
        SIM_FEED_TOKEN: feedToken,
      },
      join(demoDir, 'sim.log'),
    );
    processes.push(sim);
    const caPem = readFileSync(config.tls.certFile, 'utf8');
    // The SDK's fetch over node:https, trusting exactly the install's (self-signed) certificate.
    const fetch = nodeHttpsFetch({ ca: caPem });
    await waitForHttps(sim, `https://127.0.0.1:${simPort}/sim/deliveries`, fetch, 60_000);
    const childEnv = { ...process.env, DATABASE_URL: resolved.database.url, REDIS_URL: resolved.redis.url };
    const workflow = new DemoWorkflow({
      api: new DemoApi(`https://127.0.0.1:${config.http.port}`, fetch),
      sim: new DemoApi(`https://127.0.0.1:${simPort}`, fetch),
      databaseUrl: resolved.database.url,
      feedToken,
      caPem,
      createAdmin: (role, email, password) => createAdmin(childEnv, role, email, password),
    });
    const adminsFile = join(config.dataDir, 'demo-admins.json');
    say('');
    const steps: Array<[string, () => Promise<string>]> = [
      ['bootstrap', () => workflow.bootstrap()],
      ['scoped token', () => workflow.scopedToken()],
      ['signed updates applied', () => workflow.signedUpdates()],
      ['validation', () => workflow.validation()],
      ['encryption at rest', () => workflow.encryption()],
      ['conflict and resolution', () => workflow.conflict()],
      ['minimum necessary response', () => workflow.projection()],
      ['audit trail', () => workflow.audit()],
      ['alert on suspicious activity', () => workflow.alert()],
      ['fallback poll recovers dropped webhooks', () => workflow.fallbackPoll()],
    ];
    for (const [index, [title, step]] of steps.entries()) {
      const stepStarted = Date.now();
      let proof: string;
      try {
        proof = await step();
      } catch (error) {
        const reason =
          error instanceof DemoFailed ? error.message : `unexpected error: ${(error as Error).message}`;
        throw new DemoFailed(`✗ ${index + 1}. ${title}: ${reason}`);
      }
      say(`✓ ${index + 1}. ${title}: ${proof} (${seconds(Date.now() - stepStarted)})`);
      // Written as soon as the admins exist, so a run that fails later still leaves a way in.
      if (index === 0) await writeAdmins(adminsFile, workflow);
    }

    say('');
    say(`Seeding ${seedMembers} synthetic members (npm run seed) ...`);
    const seeded = await seed(childEnv, seedMembers);
    const install = await workflow.populated();
    say(
      `✓ populated: ${install.members} members (${seeded.members} seeded into ${seeded.organizationId}), ` +
        `${install.auditEvents} audit events, ${plural(install.openAlerts, 'open alert')}, ` +
        `${plural(install.deadLetters, 'dead-lettered delivery', 'dead-lettered deliveries')} to the carrier's ` +
        'unreachable endpoint',
    );
    ok = true;
    printHowToLook(say, config, adminsFile, Date.now() - started, keepRunning);
  } catch (error) {
    if (error instanceof DemoFailed) {
      process.stderr.write(`${error.message}\n`);
      if (processes.length > 0) process.stderr.write(`(logs of the service and the sim: ${demoDir}/)\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  } finally {
    if (keepRunning && ok) {
      process.removeListener('SIGINT', interrupted);
      process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
    } else {
      process.removeListener('SIGINT', interrupted);
      await stopAll();
    }
  }
}

/** Resolves once `url` answers over HTTPS (any status); fails if the process exits or time runs out. */
async function waitForHttps(
  proc: DemoProcess,
  url: string,
  fetch: FetchFunction,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null)
      throw new DemoFailed(`${proc.name} exited before it was ready:\n${tail(proc.output())}`);
    try {
      await fetch(new Request(url));
      return;
    } catch {
      if (Date.now() > deadline)
        throw new DemoFailed(
          `${proc.name} did not answer within ${timeoutMs / 1000} s:\n${tail(proc.output())}`,
        );
      await sleep(200);
    }
  }
}

function membersFlag(args: string[]): number {
  const i = args.indexOf('--members');
  if (i < 0) return DEFAULT_SEED_MEMBERS;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new DemoFailed('--members must be an integer ≥ 1');
  return value;
}

/** The sim's feed token, kept across runs (mode 0600) so sources registered by earlier runs still read it. */
async function demoFeedToken(demoDir: string): Promise<string> {
  const file = join(demoDir, 'sim-feed-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `demo-feed-${randomBytes(24).toString('base64url')}`;
  await writeFile(file, token, { mode: 0o600 });
  return token;
}

/** The sim's own database beside ours on the same server: `<our database>_sim`. */
function simDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${decodeURIComponent(url.pathname.slice(1))}_sim`;
  return url.toString();
}

/** `admin create` in a child process, exactly as an operator bootstraps an install. */
async function createAdmin(
  env: NodeJS.ProcessEnv,
  role: AdminRole,
  email: string,
  password: string,
): Promise<{ id: string; totpSecret: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      [CLI, 'admin', 'create', '--email', email, '--role', role],
      {
        env: { ...env, ADMIN_PASSWORD: password },
      },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as { id: string; totpSecret: string };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
    throw new DemoFailed(`admin create --role ${role} failed: ${tail(stderr, 5)}`);
  }
}

/** `seed` in a child process (its own organization), as `npm run seed` runs it. */
async function seed(
  env: NodeJS.ProcessEnv,
  members: number,
): Promise<{ organizationId: string; members: number }> {
  try {
    const { stdout } = await run(
      process.execPath,
      [CLI, 'seed', '--members', String(members), '--seed', String(Date.now() % 1_000_000)],
      { env },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as { organizationId: string; members: number };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
    throw new DemoFailed(`seed failed: ${tail(stderr, 5)}`);
  }
}

/** The demo admins' sign-in details, readable by the install's owner only. */
async function writeAdmins(file: string, workflow: DemoWorkflow): Promise<void> {
  const body = {
    note: 'Synthetic demo admins. Sign in with email, password and a TOTP code from totpSecret (any authenticator app).',
    createdAt: new Date().toISOString(),
    organizationId: workflow.organizationId,
    admins: workflow.admins.map(({ role, id, email, password, totpSecret }) => ({
      role,
      id,
      email,
      password,
      totpSecret,
    })),
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // an older file keeps its mode on overwrite
}

function printHowToLook(
  say: (line: string) => void,
  config: AppConfig,
  adminsFile: string,
  elapsedMs: number,
  keepRunning: boolean,
): void {
  const base = `https://localhost:${config.http.port}`;
  say('');
  say(`Demo finished in ${seconds(elapsedMs)}. To look at the install it left:`);
  say(keepRunning ? '  (still running: Ctrl-C stops the service and the sim)' : '  npm start');
  say(`  Queue dashboard  ${base}/admin/queues   (deliveries: the carrier's failed jobs)`);
  say(`  Audit search     ${base}/api/v1/admin/audit/events   Alerts  ${base}/api/v1/admin/alerts`);
  say(`  API docs         ${base}/api/docs`);
  say(`  Sign-in details  ${adminsFile} (mode 0600: email, password, TOTP secret of each demo admin)`);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
