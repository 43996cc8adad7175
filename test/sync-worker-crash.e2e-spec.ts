import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { type AppConfig, JobQueues } from '@app/common';
import { FEED_PAGE_LIMIT } from '../libs/sync/src/polling/source-rules';
import { sql } from './support/identity-fixtures';
import { startSyncScenario, type SyncScenario } from './support/sync-fixtures';

const WORKER_MAIN = join(__dirname, '..', 'dist', 'apps', 'worker', 'src', 'main.js');
const CLI_MAIN = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
// Large enough that the feed holds several pages of mostly unapplied changes (webhooks mostly dropped).
const SCENARIO = {
  members: 150,
  changes: 1050,
  seed: 7331,
  dropRate: 0.9,
  duplicateRate: 0,
  reorder: false,
};
// The kill waits until this many changes of the current page have committed since it began.
const KILL_AFTER_APPLIED = 15;

interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment a worker of the same install gets: same database, Redis prefix, KEK and audit keys. */
function workerEnv(config: AppConfig, dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: config.database.url,
    MIGRATION_DATABASE_URL: config.database.migrationUrl,
    DATABASE_APP_ROLE: config.database.appRole,
    REDIS_URL: config.redis.url,
    REDIS_KEY_PREFIX: config.redis.keyPrefix,
    TLS_CERT_FILE: config.tls.certFile,
    TLS_KEY_FILE: config.tls.keyFile,
    LOCAL_KEK_FILE: config.keys.localKekFile,
    AUDIT_SIGNING_KEY_FILE: config.audit.signingKeyFile,
    AUDIT_CHECKPOINT_DIR: config.audit.checkpointDir,
    PUBLIC_BASE_URL: config.auth.issuer,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
  };
}

/** `npm run start:worker`'s process, from the compiled dist (cwd a temp folder, so no `.env` is read). */
function spawnWorker(config: AppConfig, dataDir: string): WorkerProcess {
  let output = '';
  const child = spawn(process.execPath, [WORKER_MAIN], {
    cwd: dataDir,
    env: workerEnv(config, dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

interface FeedEvent {
  eventId: string;
  sourceRef: string;
  changes: Record<string, unknown>;
}

/** The fields a change sets (`group.field`; a list group is one field), as conflict policies see them. */
function fieldsOf(changes: Record<string, unknown>): string[] {
  return Object.entries(changes).flatMap(([group, value]) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.keys(value).map((field) => `${group}.${field}`)
      : [group],
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 10's crash case with a real process: the worker is SIGKILLed while a poll is applying a page
 * of the change feed, a new worker process is started, and the poll resumes by itself (BullMQ finds
 * the dead worker's job stalled and runs it again from the stored cursor). Afterwards our members
 * equal the sim's field by field, every feed event is applied exactly once, and the audit chain verifies.
 */
describe('sync polling: kill -9 of the worker mid-page, then a restart', () => {
  let s: SyncScenario;
  let pg: Client;
  let dataDir: string;
  const workers: WorkerProcess[] = [];

  const start = () => {
    const worker = spawnWorker(s.api.config, dataDir);
    workers.push(worker);
    return worker;
  };
  const queue = () => s.api.app.get(JobQueues).queue('polling');
  const waitFor = async <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      const dead = workers.find((w) => w.child.exitCode !== null && w.child.signalCode === null);
      if (dead) throw new Error(`a worker exited while waiting for ${what}:\n${dead.output()}`);
      if (Date.now() > deadline)
        throw new Error(
          `${what} did not happen within ${ms} ms; worker output:\n${workers.at(-1)?.output()}`,
        );
      await sleep(100);
    }
  };
  const waitForPollingWorker = () =>
    waitFor('a polling worker', 30_000, async () =>
      (await queue().getWorkers()).length > 0 ? true : undefined,
    );
  const waitForIdleQueue = () =>
    waitFor('an idle polling queue', 30_000, async () => {
      const counts = await queue().getJobCounts('active', 'waiting', 'prioritized', 'delayed');
      return counts.active + counts.waiting + counts.prioritized === 0 ? true : undefined;
    });

  /** The source's cursor and this partner's applied feed events, in one snapshot. */
  const progress = async (sourceId: string) => {
    const { rows } = await pg.query<{
      cursor: string | null;
      status: string;
      applied: string;
    }>(
      `select cursor, status,
         (select count(*) from sync_applied_event where source_partner_id = s.partner_id) as applied
       from sync_source s where id = $1`,
      [sourceId],
    );
    return {
      cursor: rows[0].cursor,
      status: rows[0].status,
      applied: Number(rows[0].applied),
    };
  };
  const appliedEventIds = async (): Promise<Set<string>> =>
    new Set(
      (
        await pg.query<{ event_id: string }>(
          'select event_id from sync_applied_event where source_partner_id = $1',
          [s.source.partnerId],
        )
      ).rows.map((r) => r.event_id),
    );

  /** The whole change feed, in order (synthetic values; compared, never printed). */
  const readFeed = async (): Promise<FeedEvent[]> => {
    const events: FeedEvent[] = [];
    let cursor: string | null = null;
    for (;;) {
      const res = await s
        .simCall('get', `/changes?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .set('authorization', `Bearer ${s.feedToken}`);
      expect(res.status).toBe(200);
      events.push(...(res.body.data as FeedEvent[]));
      cursor = res.body.nextCursor as string;
      if (!res.body.hasMore) return events;
    }
  };

  beforeAll(async () => {
    s = await startSyncScenario();
    dataDir = mkdtempSync(join(tmpdir(), 'msync-worker-'));
    pg = new Client({ connectionString: s.api.database.url });
    await pg.connect();
  }, 60_000);

  afterAll(async () => {
    // No worker outlives the suite, whatever happened above.
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
    await pg?.end();
    await s?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes a poll killed mid-page in a new worker process and converges, each change applied once', async () => {
    const first = start();
    await waitForPollingWorker();
    const created = await s.admin('post', '/api/v1/admin/sources').send({
      partnerId: s.source.partnerId,
      changeFeedUrl: `${s.sim.url}/changes`,
      // No scheduled poll during the test: only the killed job itself can resume the work.
      pollIntervalSeconds: 86_400,
      bearerToken: s.feedToken,
    });
    expect(created.status).toBe(201);
    const sourceId = created.body.id as string;
    await waitForIdleQueue(); // the schedule's first run, on an empty feed

    const run = await s.generate(SCENARIO);
    expect(run.status).toBe('done');
    expect(run.events).toBe(SCENARIO.members + SCENARIO.changes);
    expect(run.dropped).toBeGreaterThan(run.events * 0.8);
    // Updates of members whose create was dropped are refused (nothing to update yet); none failed on our side.
    expect(Object.keys(run.responses).filter((code) => /^5/.test(code))).toEqual([]);
    const appliedBeforePoll = await appliedEventIds();

    // The poll, watched in Postgres until a page is being applied: events committing while the
    // cursor still stands before the page. Then SIGKILL, no shutdown hook runs.
    const poll = await s.admin('post', `/api/v1/admin/sources/${sourceId}/poll`).send({});
    expect(poll.status).toBe(202);
    const jobId = poll.body.jobId as string;
    let pageStart = await progress(sourceId);
    const killedAt = await waitFor('a page being applied', 30_000, async () => {
      for (let i = 0; i < 50; i += 1) {
        const now = await progress(sourceId);
        if (now.cursor !== pageStart.cursor) pageStart = now;
        else if (now.applied - pageStart.applied >= KILL_AFTER_APPLIED) {
          first.child.kill('SIGKILL');
          return now;
        }
        await sleep(2);
      }
      return undefined;
    });
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await sleep(500); // a COMMIT already on the wire when the process died lands now, or never

    // Mid-page for real: the cursor still before the page, some but not all of its changes committed.
    const after = await progress(sourceId);
    expect(after.cursor).toBe(killedAt.cursor);
    expect(after.status).toBe('syncing'); // died, not failed: no error path ran
    const pageRes = await s
      .simCall(
        'get',
        `/changes?limit=${FEED_PAGE_LIMIT}${after.cursor ? `&cursor=${encodeURIComponent(after.cursor)}` : ''}`,
      )
      .set('authorization', `Bearer ${s.feedToken}`);
    expect(pageRes.status).toBe(200);
    const page = (pageRes.body.data as Array<{ eventId: string }>).map((c) => c.eventId);
    const appliedNow = await appliedEventIds();
    const inPage = page.filter((id) => appliedNow.has(id)).length;
    const inPageBefore = page.filter((id) => appliedBeforePoll.has(id)).length;
    expect(inPage - inPageBefore).toBeGreaterThanOrEqual(KILL_AFTER_APPLIED);
    expect(inPage).toBeLessThan(page.length);
    // The dead worker's job is still active in BullMQ: nothing marked it failed or done.
    expect(await (await queue().getJob(jobId))?.getState()).toBe('active');

    // A new worker process; nobody triggers anything: BullMQ's stalled-job check hands the job over.
    // The dead worker's lock lasts 30 s, and one check per queue runs at most every 30 s (a shared
    // `stalled-check` key): a job is marked by one check and moved back to wait by the next. The new
    // worker is started once the dead one's check window has lapsed, so its boot check marks the job
    // and its next check, 30 s later, resumes it (about 60 s sooner than starting it at once).
    const stalledCheck = queue().keys['stalled-check'];
    const redis = new Redis(s.api.config.redis.url);
    try {
      await waitFor("the dead worker's stalled-check window to lapse", 35_000, async () =>
        (await redis.exists(stalledCheck)) === 0 ? true : undefined,
      );
    } finally {
      redis.disconnect();
    }
    const second = start();
    await waitForPollingWorker();
    const state = await waitFor('the killed poll job to finish', 120_000, async () => {
      const current = await (await queue().getJob(jobId))?.getState();
      return current === 'completed' || current === 'failed' ? current : undefined;
    });
    expect(state).toBe('completed');
    // Resumed because it stalled, not because it failed: no attempt was used up.
    const job = await queue().getJob(jobId);
    expect(job?.stalledCounter).toBe(1);
    expect(job?.failedReason).toBeFalsy();
    expect(second.child.exitCode).toBeNull();

    // Same convergence as without the crash.
    expect(await s.mismatches()).toEqual([]);
    expect((await progress(sourceId)).status).toBe('done');

    // Each change applied once: every event of the feed is recorded once for the source (its primary
    // key forbids a second row), except one older than a change of the same fields that a webhook
    // had already brought (last writer wins: refused as stale, by design, before and after a crash).
    const feed = await readFeed();
    const recorded = await appliedEventIds();
    expect([...recorded].filter((id) => !feed.some((e) => e.eventId === id))).toEqual([]);
    const notRecorded = feed.flatMap((e, i) => (recorded.has(e.eventId) ? [] : [i]));
    const superseded = notRecorded.filter((i) =>
      feed.some(
        (later, j) =>
          j > i &&
          later.sourceRef === feed[i].sourceRef &&
          recorded.has(later.eventId) &&
          fieldsOf(later.changes).some((f) => fieldsOf(feed[i].changes).includes(f)),
      ),
    );
    expect(superseded).toEqual(notRecorded);
    expect(notRecorded.length).toBeLessThan(feed.length / 100);
    const stale = await sql<{ n: string }>(
      s.api,
      `select count(*) as n from audit_event where action = 'member.update' and outcome = 'denied' and reason = 'stale'`,
    );
    expect(Number(stale[0].n)).toBeGreaterThanOrEqual(notRecorded.length);

    // Each applied change made one version: versions 1..n per member with no gap or repeat, one
    // member_change row per create, and one per applied update at most.
    const versions = await sql<{
      n: string;
      members: string;
      creates: string;
      gaps: string;
    }>(
      s.api,
      `select count(*) as n, count(distinct c.member_id) as members,
         count(*) filter (where c.kind = 'create') as creates,
         count(*) filter (where m.version <> (select count(*) from member_change x where x.member_id = m.id)) as gaps
       from member_change c join member m on m.id = c.member_id where m.source_partner_id = $1`,
      [s.source.partnerId],
    );
    expect(Number(versions[0].members)).toBe(SCENARIO.members);
    expect(Number(versions[0].creates)).toBe(SCENARIO.members);
    expect(Number(versions[0].gaps)).toBe(0);
    expect(Number(versions[0].n)).toBeLessThanOrEqual(recorded.size);
    expect(Number(versions[0].n)).toBeGreaterThan(recorded.size * 0.95);

    const status = await s.admin('get', `/api/v1/admin/sources/${sourceId}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: 'done', deadLetters: 0 });
    const verify = await s.admin('get', '/api/v1/admin/audit/verify?full=true', s.officer);
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  }, 170_000);
  /** `npm run cli -- sources backfill <id>` of the same install, from the compiled dist. */
  const backfillCli = (sourceId: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_MAIN, 'sources', 'backfill', sourceId], {
        cwd: dataDir,
        env: workerEnv(s.api.config, dataDir),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  it('backfills the source from the CLI with a progress bar while the worker imports, changing nothing already applied', async () => {
    const [{ id: sourceId }] = await sql<{ id: string }>(s.api, 'select id from sync_source');
    const versions = await sql(s.api, 'select id, version from member order by id');
    const run = await backfillCli(sourceId);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`backfill of ${sourceId} started`);
    const final = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(final).toMatchObject({
      status: 'done',
      progress: 100,
      processed: SCENARIO.members + SCENARIO.changes,
    });
    expect(await sql(s.api, 'select id, version from member order by id')).toEqual(versions);
    const audited = await sql<{ actor_id: string }>(
      s.api,
      `select actor_id from audit_event where action = 'sync_source.backfill_request' and $1 = any(resource_ids)`,
      [sourceId],
    );
    expect(audited).toEqual([{ actor_id: 'cli:sources-backfill' }]);
  }, 120_000);

  it('refuses a backfill of an unknown source from the CLI (exit 1, one line, nothing started)', async () => {
    const run = await backfillCli('fds_01JD3Q4Z5X6C7V8B9N0M1K2J3H');
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\bat \S+ \(/); // no stack
    expect(run.stdout).toBe('');
  }, 60_000);
});
