import type { INestApplicationContext } from '@nestjs/common';
import { ManualClock, JobQueues } from '@app/common';
import { KeyProvider, WrappedSecretOwners } from '@app/crypto';
import { IngestService, SourcePoller } from '@app/sync';
import type { RunningSim } from '../apps/membership-sim/src';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { setupPartner, sql, type PartnerSetup } from './support/identity-fixtures';
import { startSyncScenario, type SyncScenario } from './support/sync-fixtures';
import type { TestApi } from './support/test-app';

interface SourceRow extends Record<string, unknown> {
  cursor: string | null;
  status: string;
  applied_count: string;
  rejected_count: string;
}

// The convergence scenario at CI size by default; SYNC_CONVERGENCE_MEMBERS / _CHANGES run it at the
// issue's size (1,000 / 10,000) on demand, with the time it took printed.
const SCENARIO = {
  members: Number(process.env.SYNC_CONVERGENCE_MEMBERS ?? 100),
  changes: Number(process.env.SYNC_CONVERGENCE_CHANGES ?? 500),
};
const SCALE = Math.max(1, Math.ceil((SCENARIO.members + SCENARIO.changes) / 600));

/**
 * Fallback polling against the real membership-sim: webhooks dropped, duplicated and reordered,
 * then one poll of the sim's change feed converges our members on the sim's, each change applied
 * once; an apply failing mid-page leaves the cursor before the page, and a re-run converges.
 */
describe('sync polling: the change feed fills in what webhooks lost', () => {
  const clock = new ManualClock(Date.now());
  let s: SyncScenario;
  let api: TestApi;
  let worker: INestApplicationContext;
  let sim: RunningSim;
  let source: PartnerSetup;
  let officer: string;
  let feedToken: string;
  let sourceId: string;

  const admin = (method: 'get' | 'post', path: string, token?: string) => s.admin(method, path, token);
  const generate = (body: object) => s.generate(body);
  const mismatches = () => s.mismatches();
  const sourceRow = async () =>
    (await sql<SourceRow>(api, 'select * from sync_source where id = $1', [sourceId]))[0];

  const waitForJob = async (jobId: string) => {
    const queue = api.app.get(JobQueues).queue('polling');
    for (let i = 0; i < 600 * SCALE; i += 1) {
      const state = await (await queue.getJob(jobId))?.getState();
      if (state === 'completed' || state === 'failed') return state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the poll job did not finish');
  };

  const waitForIdleQueue = async () => {
    const queue = api.app.get(JobQueues).queue('polling');
    for (let i = 0; i < 600; i += 1) {
      const counts = await queue.getJobCounts('active', 'waiting', 'prioritized');
      if (counts.active + counts.waiting + counts.prioritized === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the polling queue did not drain');
  };

  beforeAll(async () => {
    // The worker shares the API's clock; the sim's webhooks get the scenario's raised rate limits.
    s = await startSyncScenario({ clock });
    ({ api, sim, source, officer, feedToken } = s);
    worker = await createWorkerApplication(api.config, { clock });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await s?.close();
  });

  it('refuses a source from a role without the credentials scope, a non-membership partner and an http feed', async () => {
    const body = {
      partnerId: source.partnerId,
      changeFeedUrl: `${sim.url}/changes`,
      bearerToken: feedToken,
    };
    expect((await admin('post', '/api/v1/admin/sources', officer).send(body)).status).toBe(403);
    const carrier = await setupPartner(api, officer, { type: 'carrier' });
    const wrongType = await admin('post', '/api/v1/admin/sources').send({
      ...body,
      partnerId: carrier.partnerId,
    });
    expect(wrongType.status).toBe(422);
    const http = await admin('post', '/api/v1/admin/sources').send({
      ...body,
      changeFeedUrl: sim.url.replace('https:', 'http:') + '/changes',
    });
    expect(http.status).toBe(400);
    expect(http.text).not.toContain(sim.url.replace('https://', ''));
    const metadata = await admin('post', '/api/v1/admin/sources').send({
      ...body,
      changeFeedUrl: 'https://169.254.169.254/changes',
    });
    expect(metadata.status).toBe(400);
    expect((await sql(api, 'select id from sync_source')).length).toBe(0);
  });

  it(
    'converges on the sim after webhooks with drops, duplicates and reordering, and one poll',
    async () => {
      const created = await admin('post', '/api/v1/admin/sources').send({
        partnerId: source.partnerId,
        changeFeedUrl: `${sim.url}/changes`,
        pollIntervalSeconds: 86_400,
        bearerToken: feedToken,
      });
      expect(created.status).toBe(201);
      sourceId = created.body.id;
      // The token is stored wrapped only.
      expect(JSON.stringify(await sql(api, 'select token_wrapped from sync_source'))).not.toContain(
        feedToken,
      );
      await waitForIdleQueue(); // the schedule's first run, on an empty feed

      const started = Date.now();
      const run = await generate({
        ...SCENARIO,
        seed: 4242,
        dropRate: 0.2,
        duplicateRate: 0.05,
        reorder: true,
      });
      const sent = Date.now();
      expect(run.status).toBe('done');
      expect(run.dropped).toBe(Math.round((SCENARIO.members + SCENARIO.changes) * 0.2));
      // Every webhook sent was taken (409: a duplicated create, answered with the existing id).
      expect(Object.keys(run.responses).filter((code) => !/^(2..|409)$/.test(code))).toEqual([]);
      expect(await mismatches()).not.toEqual([]); // the dropped webhooks left gaps

      const poll = await admin('post', `/api/v1/admin/sources/${sourceId}/poll`).send({});
      expect(poll.status).toBe(202);
      expect(await waitForJob(poll.body.jobId)).toBe('completed');
      if (SCALE > 1) {
        process.stderr.write(
          `convergence ${SCENARIO.members} members / ${SCENARIO.changes} changes: webhooks ${sent - started} ms, poll ${Date.now() - sent} ms\n`,
        );
      }

      expect(await mismatches()).toEqual([]);
      // Each change applied once: every feed event is recorded once for the source, nothing else.
      const applied = await sql<{ n: string; distinct_events: string }>(
        api,
        'select count(*) as n, count(distinct event_id) as distinct_events from sync_applied_event where source_partner_id = $1',
        [source.partnerId],
      );
      expect(Number(applied[0].n)).toBe(Number(applied[0].distinct_events));
      const row = await sourceRow();
      expect(row.status).toBe('done');
      expect(Number(row.rejected_count)).toBe(0);

      const status = await admin('get', `/api/v1/admin/sources/${sourceId}/status`);
      expect(status.status).toBe(200);
      expect(status.body).toEqual({
        status: 'done',
        lastSuccessAt: expect.any(String),
        lagSeconds: 0,
        openCases: expect.any(Number),
        deadLetters: 0,
      });
      const verify = await admin('get', '/api/v1/admin/audit/verify?full=true', officer);
      expect(verify.status).toBe(200);
      expect(verify.body.ok).toBe(true);
    },
    120_000 * SCALE,
  );

  it('a second poll applies nothing new and moves no version', async () => {
    const versions = await sql(api, 'select id, version from member order by id');
    const summary = await worker.get(SourcePoller).poll(sourceId);
    expect(summary).toMatchObject({ outcome: 'done', processed: 0, applied: 0 });
    expect(await sql(api, 'select id, version from member order by id')).toEqual(versions);
  });

  it('keeps the cursor before a page whose apply fails, then converges on a re-run (a crash mid-page)', async () => {
    // These changes reach us only through the feed.
    const run = await generate({ members: 0, changes: 80, seed: 99, send: false });
    expect(run.status).toBe('done');
    const before = await sourceRow();
    const ingest = worker.get(IngestService);
    const apply = ingest.apply.bind(ingest);
    let calls = 0;
    const spy = jest.spyOn(ingest, 'apply').mockImplementation(async (sender, item) => {
      calls += 1;
      // Half the page commits, then the process "dies".
      if (calls > 40) throw new Error('simulated crash mid-page');
      return apply(sender, item);
    });
    try {
      await expect(worker.get(SourcePoller).poll(sourceId)).rejects.toThrow('simulated crash mid-page');
    } finally {
      spy.mockRestore();
    }
    const failed = await sourceRow();
    expect(failed.cursor).toBe(before.cursor);
    expect(failed.status).toBe('failed');
    expect((await admin('get', `/api/v1/admin/sources/${sourceId}/status`)).body.status).toBe('failed');

    const summary = await worker.get(SourcePoller).poll(sourceId);
    expect(summary.outcome).toBe('done');
    expect(summary.processed).toBe(80);
    expect(summary.applied).toBeLessThanOrEqual(80 - 40 + 0); // the committed half answers duplicate
    expect((await sourceRow()).cursor).not.toBe(before.cursor);
    expect(await mismatches()).toEqual([]);
    const applied = await sql<{ n: string; distinct_events: string }>(
      api,
      'select count(*) as n, count(distinct event_id) as distinct_events from sync_applied_event where source_partner_id = $1',
      [source.partnerId],
    );
    expect(Number(applied[0].n)).toBe(Number(applied[0].distinct_events));
  }, 120_000);

  it('a feed create of a member the signed create already made records the event and moves no version', async () => {
    const run = await generate({ members: 5, changes: 0, seed: 5, dropRate: 0, duplicateRate: 0 });
    expect(run.responses).toEqual({ '201': 5 });
    const recorded = async () =>
      Number(
        (
          await sql<{ n: string }>(
            api,
            'select count(*) as n from sync_applied_event where source_partner_id = $1',
            [source.partnerId],
          )
        )[0].n,
      );
    const versions = await sql(api, 'select id, version from member order by id');
    const before = await recorded();
    const summary = await worker.get(SourcePoller).poll(sourceId);
    expect(summary).toMatchObject({ outcome: 'done', processed: 5, applied: 5, rejected: 0 });
    expect(await sql(api, 'select id, version from member order by id')).toEqual(versions);
    // Recorded now (the signed create does not record its event id), so a later reading answers duplicate.
    expect(await recorded()).toBe(before + 5);
  });

  it('backfills the whole feed from the beginning with progress, changing nothing already applied', async () => {
    const versions = await sql(api, 'select id, version from member order by id');
    const started = await admin('post', `/api/v1/admin/sources/${sourceId}/backfill`).send({});
    expect(started.status).toBe(202);
    expect(started.body.status).toBe('running');
    let state = started.body as { status: string; processed: number; progress: number | null };
    for (let i = 0; i < 600 && state.status === 'running'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (await admin('get', `/api/v1/admin/sources/${sourceId}/backfill`)).body;
    }
    expect(state).toMatchObject({
      status: 'done',
      processed: SCENARIO.members + SCENARIO.changes + 80 + 5,
      progress: 100,
    });
    expect(await sql(api, 'select id, version from member order by id')).toEqual(versions);
  }, 120_000);

  it('re-wraps the feed token in a KEK rotation, and the poller still reads the feed afterwards', async () => {
    const kekOf = async () =>
      (
        await sql<{ kek: string }>(
          api,
          `select token_wrapped->>'kek' as kek from sync_source where id = $1`,
          [sourceId],
        )
      )[0].kek;
    const before = await kekOf();
    const owner = api.app
      .get(WrappedSecretOwners)
      .all()
      .find((o) => o.name === 'sync_source_token');
    expect(owner).toBeDefined();

    await api.app.get(KeyProvider).rotate();
    let after: string | null = null;
    do after = (await owner!.rewrapBatch(after, 200, { reencrypt: false })).last;
    while (after);

    expect(await kekOf()).not.toBe(before);
    // The worker's provider reads the same KEK file: the re-wrapped token still opens the feed.
    await generate({ members: 0, changes: 3, seed: 11, send: false });
    expect(await worker.get(SourcePoller).poll(sourceId)).toMatchObject({ outcome: 'done', processed: 3 });
  });
});
