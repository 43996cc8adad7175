import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { DATA_CATEGORIES, JobQueues, ManualClock } from '@app/common';
import { KeyProvider, WrappedSecretOwners } from '@app/crypto';
import { IngestService, SourcePoller } from '@app/sync';
import {
  loadSimConfig,
  startMembershipSim,
  type GenerationRun,
  type RunningSim,
} from '../apps/membership-sim/src';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken } from './support/member-fixtures';
import { TEST_PG_ADMIN_URL, TEST_TLS_DIR } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

const FEED_TOKEN = `feed-${randomBytes(12).toString('hex')}`;
const GROUPS = [
  'identity',
  'governmentId',
  'contact',
  'membership',
  'coverage',
  'dependents',
  'wellness',
  'preferences',
] as const;

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
  const simDatabase = `msync_t_simpoll_${randomBytes(5).toString('hex')}`;
  const ca = readFileSync(join(TEST_TLS_DIR, 'cert.pem'));
  let api: TestApi;
  let worker: INestApplicationContext;
  let sim: RunningSim;
  let source: PartnerSetup;
  let security: string;
  let officer: string;
  let partnerToken: string;
  let sourceId: string;

  const simCall = (method: 'get' | 'put' | 'post', path: string) => request(sim.url)[method](path).ca(ca);
  const admin = (method: 'get' | 'post', path: string, token = security) =>
    api.http()[method](path).set('authorization', `Bearer ${token}`);
  const sourceRow = async () =>
    (await sql<SourceRow>(api, 'select * from sync_source where id = $1', [sourceId]))[0];

  const generate = async (body: object): Promise<GenerationRun> => {
    const res = await simCall('post', '/sim/generate').send(body);
    if (res.status !== 200) throw new Error(`generate: ${res.status} ${res.text}`);
    return res.body as GenerationRun;
  };

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

  /** Every sim member against ours, group by group; answers the mismatching sourceRefs. */
  const mismatches = async (): Promise<string[]> => {
    const ours = new Map(
      (
        await sql<{ id: string; source_ref: string }>(
          api,
          'select id, source_ref from member where source_partner_id = $1',
          [source.partnerId],
        )
      ).map((r) => [r.source_ref, r.id]),
    );
    const wrong: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await simCall('get', `/sim/members?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      for (const view of page.body.data as Array<Record<string, unknown>>) {
        const id = ours.get(view.sourceRef as string);
        if (!id) {
          wrong.push(`${view.sourceRef as string}: missing`);
          continue;
        }
        const res = await api
          .http()
          .get(`/api/v1/members/${id}`)
          .set('authorization', `Bearer ${partnerToken}`);
        expect(res.status).toBe(200);
        for (const group of GROUPS) {
          if (!isDeepStrictEqual(res.body[group] ?? null, view[group] ?? null))
            wrong.push(`${view.sourceRef as string}: ${group}`);
        }
      }
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    return wrong;
  };

  beforeAll(async () => {
    // The sim's webhooks and the field-by-field reads are far above the default per-client limits.
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_CLIENT_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '100000' },
    });
    worker = await createWorkerApplication(api.config, { clock });
    officer = (await loginAdmin(api, clock, 'compliance_officer')).accessToken;
    security = (await loginAdmin(api, clock, 'security_admin')).accessToken;
    source = await setupPartner(api, officer, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    partnerToken = await clientToken(api, client);
    const secret = await adminPost(
      api,
      security,
      `/api/v1/admin/partners/${source.partnerId}/webhook-secrets`,
      {},
    );
    expect(secret.status).toBe(201);

    const pgUrl = new URL(TEST_PG_ADMIN_URL);
    pgUrl.pathname = `/${simDatabase}`;
    sim = await startMembershipSim(
      loadSimConfig({
        SIM_PORT: '0',
        SIM_HOST: '127.0.0.1',
        SIM_DATABASE_URL: pgUrl.toString(),
        SIM_TLS_CERT_FILE: join(TEST_TLS_DIR, 'cert.pem'),
        SIM_TLS_KEY_FILE: join(TEST_TLS_DIR, 'key.pem'),
        SIM_FEED_TOKEN: FEED_TOKEN,
      }),
    );
    const target = await simCall('put', '/sim/target').send({
      baseUrl: api.baseUrl,
      organizationId: source.organizationId,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      webhookSecret: secret.body.secret,
      caPem: ca.toString('utf8'),
    });
    expect(target.status).toBe(204);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await sim?.close();
    await api?.close();
    const pg = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await pg.connect();
    await pg.query(`drop database if exists "${simDatabase}" with (force)`);
    await pg.end();
  });

  it('refuses a source from a role without the credentials scope, a non-membership partner and an http feed', async () => {
    const body = {
      partnerId: source.partnerId,
      changeFeedUrl: `${sim.url}/changes`,
      bearerToken: FEED_TOKEN,
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
        bearerToken: FEED_TOKEN,
      });
      expect(created.status).toBe(201);
      sourceId = created.body.id;
      // The token is stored wrapped only.
      expect(JSON.stringify(await sql(api, 'select token_wrapped from sync_source'))).not.toContain(
        FEED_TOKEN,
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
    expect(state).toMatchObject({ status: 'done', processed: 100 + 500 + 80 + 5, progress: 100 });
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
