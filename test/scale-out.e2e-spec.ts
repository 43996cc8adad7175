import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { faker } from '@faker-js/faker';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import request from 'supertest';
import { DATA_CATEGORIES, type DataCategory, type PartnerScope } from '@app/common';
import { totpCode } from '@app/identity';
import {
  adminSignIn,
  bearer,
  clientCredentialsToken,
  createMemberSyncClient,
  signWebhookBody,
  type MemberSyncClient,
} from '@app/sdk';
import type { GenerationRun, RunningSim } from '../apps/membership-sim/src';
import { loopbackDeliveryEnv, startHttpsReceiver, type HttpsReceiver } from './support/https-receiver';
import {
  runCli,
  spawnCli,
  startTcpBalancer,
  type LogLine,
  type ServiceProcess,
  type TcpBalancer,
} from './support/process-cluster';
import { signedVendorBody } from './support/sdk';
import { TEST_REDIS_URL, TEST_TLS_DIR } from './support/services';
import { dropSimDatabase, startTestSim, SYNC_GROUPS } from './support/sync-fixtures';
import { deleteRedisKeys, freePort, testTlsFiles } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

faker.seed(120312);

/**
 * The convergence scenario at CI size: webhooks dropped, duplicated and reordered, spread over two
 * API processes by the balancer; the poller (on whichever worker) brings what was dropped.
 */
const SCENARIO = {
  members: 120,
  changes: 360,
  seed: 12_003,
  dropRate: 0.1,
  duplicateRate: 0.05,
  reorder: true,
  concurrency: 8,
};
const EVENTS = SCENARIO.members + SCENARIO.changes;
/** The shortest schedule a source may have: polls keep running, each on whichever worker takes it. */
const POLL_INTERVAL_SECONDS = 10;
/** Registration refuses loopback URLs: the subscription is registered at a public literal, then repointed. */
const PUBLIC_URL = 'https://93.184.216.34/hooks/member-sync';
/** The subscriber's categories: deliveries carry these groups. */
const SUBSCRIBER_CATEGORIES: DataCategory[] = ['identity', 'membership', 'coverage'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received {
  type: string;
  memberId: string;
  version: number;
  webhookId: string;
}

/**
 * Issue 12's scale-out proof: two API processes and two worker processes, each a real OS process
 * started from the build exactly as an operator starts them (`start api`, `start worker`), on one
 * PostgreSQL database and one Redis key prefix, behind a TCP (TLS pass-through) round-robin
 * balancer. The membership-sim pushes its signed webhooks through the balancer; the source's
 * scheduled poll runs on whichever worker takes it. Afterwards every sim member equals ours field
 * by field, each change was applied once and delivered once to a subscribed partner, both APIs
 * and both workers did part of the work, and the audit chain verifies from the CLI.
 */
describe('scale-out: two API processes and two workers on one PostgreSQL and one Redis', () => {
  const ca = readFileSync(testTlsFiles().cert);
  const prefix = `t_${randomBytes(5).toString('hex')}`;
  const feedToken = `feed-${randomBytes(12).toString('hex')}`;
  const simDatabase = `msync_t_simscale_${randomBytes(5).toString('hex')}`;
  const scratch: string[] = [];
  const processes: ServiceProcess[] = [];
  let database: TestDatabase;
  let env: Record<string, string>;
  let cwd: string;
  let balancer: TcpBalancer;
  let receiver: HttpsReceiver;
  let sim: RunningSim;
  let apis: ServiceProcess[];
  let workers: ServiceProcess[];
  let apiPorts: number[];
  let officer: MemberSyncClient;
  let security: MemberSyncClient;
  let organizationId: string;
  let source: {
    partnerId: string;
    clientId: string;
    clientSecret: string;
    token: string;
    inboundSecret: string;
  };
  let subscription: { id: string; path: string };
  let sourceId: string;
  let run: GenerationRun;

  const tempDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `msync-scale-${name}-`));
    scratch.push(dir);
    return dir;
  };
  const sdk = (headers: Record<string, string> = {}, keepAlive = true) =>
    createMemberSyncClient({ baseUrl: balancer.url, ca, headers, keepAlive });
  const sql = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
  const simCall = (method: 'get' | 'put' | 'post', path: string) => request(sim.url)[method](path).ca(ca);
  const queue = (name: 'deliveries' | 'polling') =>
    new Queue(name, { connection: { url: TEST_REDIS_URL }, prefix: `{${prefix}}` });

  /** Waits for `probe` to answer something; fails at once, with its output, if a service process died. */
  const waitFor = async <T>(
    what: string,
    ms: number,
    probe: () => Promise<T | undefined> | T | undefined,
  ): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      const dead = processes.find((p) => !p.running());
      if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.output()}`);
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
      await sleep(200);
    }
  };

  /** The JSON body of an SDK answer, whatever the document declares for it. */
  const body = <T>(result: { data?: unknown; error?: unknown }) => (result.data ?? result.error) as T;
  const created = (result: { data?: unknown; error?: unknown; response: Response }, what: string) => {
    if (result.response.status !== 201) throw new Error(`${what}: ${result.response.status}`);
    return body<{ id: string }>(result).id;
  };

  /** An admin made by the bootstrap CLI (`admin create`), signed in through the balancer with TOTP. */
  const bootstrapAdmin = async (role: 'compliance_officer' | 'security_admin') => {
    const email = faker.internet.email({ provider: 'example.test' }).toLowerCase();
    const password = faker.internet.password({ length: 20 });
    const made = await runCli(
      ['admin', 'create', '--email', email, '--role', role],
      {
        ...env,
        ADMIN_PASSWORD: password,
      },
      cwd,
    );
    if (made.code !== 0) throw new Error(`admin create: ${made.code} ${made.stderr}`);
    const { totpSecret } = JSON.parse(made.stdout.trim().split('\n').pop()!) as { totpSecret: string };
    const tokens = await adminSignIn(sdk(), { email, password, totp: totpCode(totpSecret, Date.now()) });
    return sdk(bearer(tokens.accessToken));
  };

  /** A vendor with a signed BAA for `categories`, and its partner linked to the organization. */
  const registerPartner = async (
    type: 'membership_system' | 'benefits_admin',
    categories: DataCategory[],
  ) => {
    const vendorId = created(
      await officer.POST('/api/v1/admin/vendors', {
        body: signedVendorBody(categories),
      }),
      'vendor',
    );
    return created(
      await officer.POST('/api/v1/admin/partners', {
        body: {
          name: faker.company.name(),
          vendorId,
          type,
          organizationIds: [organizationId],
          categories,
          purpose: 'operations',
          requiresConsent: false,
        },
      }),
      'partner',
    );
  };
  const registerClient = async (partnerId: string, scopes: PartnerScope[]) => {
    const res = await security.POST('/api/v1/admin/partners/{partnerId}/clients', {
      params: { path: { partnerId } },
      body: { authMethod: 'client_secret_basic', scopes },
    });
    if (res.response.status !== 201) throw new Error(`client: ${res.response.status}`);
    return body<{ clientId: string; clientSecret: string }>(res);
  };

  /** The processes' request log lines for signed sync traffic that succeeded (webhooks of the sim). */
  const syncRequestsServed = (api: ServiceProcess) =>
    api.logLines().filter((line) => {
      const req = line.req as { method?: string; path?: string } | undefined;
      const res = line.res as { statusCode?: number } | undefined;
      return (
        line.pid === api.pid &&
        req?.method === 'POST' &&
        (req.path === '/api/v1/sync/batches' || req.path === '/api/v1/members') &&
        typeof res?.statusCode === 'number' &&
        res.statusCode < 500
      );
    }).length;
  const deliveredBy = (worker: ServiceProcess) =>
    worker
      .logLines()
      .filter((line: LogLine) => line.pid === worker.pid && line.msg === 'delivered')
      .map((line) => line.outboxId as string);
  const receivedDeliveries = (): Received[] =>
    receiver.received(subscription.path).map((r) => {
      const parsed = JSON.parse(r.body.toString('utf8')) as Omit<Received, 'webhookId'>;
      return {
        type: parsed.type,
        memberId: parsed.memberId,
        version: parsed.version,
        webhookId: r.webhookId,
      };
    });
  /** Every change our side made to the source's members, as (memberId, version). */
  const memberChanges = () =>
    sql<{ member_id: string; version: string }>(
      `select c.member_id, c.version from member_change c join member m on m.id = c.member_id
        where m.source_partner_id = $1`,
      [source.partnerId],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    cwd = tempDir('cwd');
    const kek = join(tempDir('kek'), 'kek.key');
    copyFileSync(testTlsFiles().kek, kek);
    chmodSync(kek, 0o600);
    apiPorts = [await freePort(), await freePort()];
    balancer = await startTcpBalancer(apiPorts);
    receiver = await startHttpsReceiver();
    // What every replica of one install shares: database, Redis and its prefix, the public URL (token
    // issuer), the key-encryption key, the audit signing key and checkpoint folder, TLS files.
    env = {
      NODE_ENV: 'test',
      DATA_DIR: tempDir('data'),
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TLS_CERT_FILE: testTlsFiles().cert,
      TLS_KEY_FILE: testTlsFiles().key,
      LOCAL_KEK_FILE: kek,
      AUDIT_SIGNING_KEY_FILE: join(TEST_TLS_DIR, 'audit-signing.key'),
      AUDIT_CHECKPOINT_DIR: tempDir('checkpoints'),
      PUBLIC_BASE_URL: balancer.url,
      HTTP_HOST: '127.0.0.1',
      // The sim's webhooks and the field-by-field reads are far above the default per-client limits.
      RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      ...loopbackDeliveryEnv('0,1,1,1'),
      // Request and delivery log lines (ids only) are how the test sees which process did what.
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
    };
    // All four at once, as an orchestrator would start them: migrations take turns under a lock.
    apis = apiPorts.map((port, i) =>
      spawnCli(`api ${'ab'[i]}`, ['start', 'api'], { ...env, HTTP_PORT: String(port) }, cwd),
    );
    workers = [1, 2].map((n) =>
      spawnCli(`worker ${n}`, ['start', 'worker'], { ...env, HTTP_PORT: '0' }, cwd),
    );
    processes.push(...apis, ...workers);
    await waitFor('all four processes up', 120_000, () =>
      processes.every((p) => /Member-sync (API|worker) is up/.test(p.output())) ? true : undefined,
    );

    const [officerClient, securityClient] = await Promise.all([
      bootstrapAdmin('compliance_officer'),
      bootstrapAdmin('security_admin'),
    ]);
    officer = officerClient;
    security = securityClient;
    organizationId = created(
      await officer.POST('/api/v1/admin/organizations', { body: { name: faker.company.name() } }),
      'organization',
    );
  }, 240_000);

  afterAll(async () => {
    // Every process group is stopped (SIGKILL after the grace period), whatever happened above.
    await Promise.all(processes.map((p) => p.stop(5_000)));
    // SCALE_OUT_LOG_DIR=<dir> keeps each process's output (JSON log lines: ids only) for a post-mortem.
    const keep = process.env.SCALE_OUT_LOG_DIR;
    if (keep)
      for (const p of processes) writeFileSync(join(keep, `${p.name.replace(' ', '-')}.log`), p.output());
    await sim?.close();
    await receiver?.close();
    await balancer?.close();
    await dropSimDatabase(simDatabase).catch(() => undefined);
    await database?.drop();
    await deleteRedisKeys(prefix);
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('boots both APIs and both workers from one build, the schema migrated by exactly one of them', async () => {
    const applied = processes.filter((p) => p.output().includes('• applied migrations:'));
    const upToDate = processes.filter((p) => p.output().includes('• database schema is up to date'));
    expect(applied).toHaveLength(1);
    expect(upToDate).toHaveLength(3);
    const migrations = await sql<{ n: string; names: string }>(
      'select count(*) as n, count(distinct name) as names from mikro_orm_migrations',
    );
    expect(Number(migrations[0].n)).toBeGreaterThan(0);
    expect(migrations[0].n).toBe(migrations[0].names);

    // Each API answers its readiness probe on its own port, as a load balancer's health check sees it.
    for (const port of apiPorts) {
      const direct = createMemberSyncClient({ baseUrl: `https://127.0.0.1:${port}`, ca, keepAlive: false });
      expect((await direct.GET('/health/ready')).response.status).toBe(200);
      expect((await direct.GET('/health/live')).response.status).toBe(200);
    }
    // Both workers are connected to every queue of the one Redis prefix.
    for (const name of ['deliveries', 'polling'] as const) {
      const q = queue(name);
      try {
        expect(
          await waitFor(`two ${name} workers`, 30_000, async () => {
            const n = (await q.getWorkers()).length;
            return n >= 2 ? n : undefined;
          }),
        ).toBe(2);
      } finally {
        await q.close();
      }
    }
  }, 60_000);

  it('converges on the membership-sim through both APIs and the poller, every member equal field by field', async () => {
    // The membership system: every category, a sync client, an inbound webhook secret.
    const sourcePartnerId = await registerPartner('membership_system', [...DATA_CATEGORIES]);
    const sourceClient = await registerClient(sourcePartnerId, ['sync:write', 'members:read']);
    const secret = await security.POST('/api/v1/admin/partners/{partnerId}/webhook-secrets', {
      params: { path: { partnerId: sourcePartnerId } },
    });
    expect(secret.response.status).toBe(201);
    source = {
      partnerId: sourcePartnerId,
      ...sourceClient,
      token: (await clientCredentialsToken(sdk(), sourceClient)).access_token,
      inboundSecret: body<{ secret: string }>(secret).secret,
    };

    // A benefits administrator of the same organization subscribes to member changes.
    const subscriberId = await registerPartner('benefits_admin', SUBSCRIBER_CATEGORIES);
    const subscriberClient = await registerClient(subscriberId, ['subscriptions:manage', 'members:read']);
    const subscriber = sdk(bearer((await clientCredentialsToken(sdk(), subscriberClient)).access_token));
    const sub = await subscriber.POST('/api/v1/webhook-subscriptions', {
      body: { url: PUBLIC_URL, events: ['member.created', 'member.updated'] },
    });
    expect(sub.response.status).toBe(201);
    subscription = { id: body<{ id: string }>(sub).id, path: '' };
    subscription.path = `/hooks/${subscription.id}`;
    await sql('update webhook_subscription set url = $1 where id = $2', [
      `https://127.0.0.1:${receiver.port}${subscription.path}`,
      subscription.id,
    ]);

    // The sim, sending to the balancer (one target; the balancer spreads its connections).
    sim = await startTestSim(simDatabase, feedToken);
    const target = await simCall('put', '/sim/target').send({
      baseUrl: balancer.url,
      organizationId,
      clientId: source.clientId,
      clientSecret: source.clientSecret,
      webhookSecret: source.inboundSecret,
      caPem: ca.toString('utf8'),
    });
    expect(target.status).toBe(204);
    const registered = await security.POST('/api/v1/admin/sources', {
      body: {
        partnerId: source.partnerId,
        changeFeedUrl: `${sim.url}/changes`,
        pollIntervalSeconds: POLL_INTERVAL_SECONDS,
        bearerToken: feedToken,
      },
    });
    sourceId = created(registered, 'source');

    const before = balancer.connections();
    const generated = await simCall('post', '/sim/generate').send(SCENARIO);
    expect(generated.status).toBe(200);
    run = generated.body as GenerationRun;
    expect(run.status).toBe('done');
    expect(run.events).toBe(EVENTS);
    expect(run.dropped).toBe(Math.round(EVENTS * SCENARIO.dropRate));
    expect(run.duplicated).toBeGreaterThan(0);
    // Every webhook sent was taken (409: a duplicated create, answered with the existing id).
    expect(Object.keys(run.responses).filter((code) => !/^(2..|409)$/.test(code))).toEqual([]);

    // (e) The webhooks really went to both API processes: the balancer handed connections to both,
    // and each API's own request log (its pid) shows signed sync requests it answered.
    const during = balancer.connections().map((n, i) => n - before[i]);
    expect(during.every((n) => n > 0)).toBe(true);
    const served = apis.map(syncRequestsServed);
    expect(served.every((n) => n > 0)).toBe(true);
    expect(served.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(run.sent);

    // A poll that started after the run ended has finished: the feed's dropped changes are in.
    const finishedAt = Date.parse(run.finishedAt!);
    const admin = security;
    await waitFor('a poll after the run', 90_000, async () => {
      const status = await admin.GET('/api/v1/admin/sources/{id}/status', {
        params: { path: { id: sourceId } },
      });
      const state = body<{ status: string; lastSuccessAt: string | null }>(status);
      return state.status === 'done' && state.lastSuccessAt && Date.parse(state.lastSuccessAt) > finishedAt
        ? true
        : undefined;
    });

    // (a) Field by field, read back through the balancer as the source partner (a new connection
    // per read, so both APIs serve them).
    const reader = sdk(bearer(source.token), false);
    const ours = new Map(
      (
        await sql<{ id: string; source_ref: string }>(
          'select id, source_ref from member where source_partner_id = $1',
          [source.partnerId],
        )
      ).map((r) => [r.source_ref, r.id]),
    );
    const wrong: string[] = [];
    let compared = 0;
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
        const read = await reader.GET('/api/v1/members/{memberId}', { params: { path: { memberId: id } } });
        expect(read.response.status).toBe(200);
        // Re-parsed here: Response.json() builds objects of Node's own realm, whose prototypes a strict
        // deep comparison against this test's objects would count as a difference.
        const member = JSON.parse(JSON.stringify(body(read))) as Record<string, unknown>;
        for (const group of SYNC_GROUPS)
          if (!isDeepStrictEqual(member[group] ?? null, view[group] ?? null)) wrong.push(`${id}: ${group}`);
        compared += 1;
      }
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(wrong).toEqual([]);
    expect(compared).toBe(SCENARIO.members);
    expect(ours.size).toBe(SCENARIO.members);
    // For the record: lock cycles PostgreSQL broke meanwhile (each aborted change ran again; none answered 5xx).
    const [{ deadlocks }] = await sql<{ deadlocks: string }>(
      'select deadlocks from pg_stat_database where datname = current_database()',
    );
    process.stderr.write(
      `scale-out: ${run.requests} webhook requests (${served.join(' + ')} per API), ${deadlocks} deadlocks retried, converged\n`,
    );
  }, 180_000);

  it('applied each sim event once: one recorded event per id, one version per applied change, no gaps', async () => {
    // Every event of the run is in the sim's feed; each one is recorded for the source at most once
    // (the primary key), and all but those refused as stale (last writer wins) are recorded.
    const feed: Array<{ eventId: string }> = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await simCall(
        'get',
        `/changes?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ).set('authorization', `Bearer ${feedToken}`);
      expect(page.status).toBe(200);
      feed.push(...(page.body.data as Array<{ eventId: string }>));
      cursor = page.body.nextCursor as string;
      if (!page.body.hasMore) break;
    }
    expect(feed).toHaveLength(EVENTS);
    const recorded = await sql<{ event_id: string; member_id: string; version: string }>(
      'select event_id, member_id, version from sync_applied_event where source_partner_id = $1',
      [source.partnerId],
    );
    const recordedIds = new Set(recorded.map((r) => r.event_id));
    expect(recordedIds.size).toBe(recorded.length);
    expect(recorded.filter((r) => !feed.some((e) => e.eventId === r.event_id))).toEqual([]);
    const stale = await sql<{ n: string }>(
      `select count(*) as n from audit_event where action = 'member.update' and outcome = 'denied' and reason = 'stale'`,
    );
    const notRecorded = feed.filter((e) => !recordedIds.has(e.eventId)).length;
    expect(notRecorded).toBeLessThanOrEqual(Number(stale[0].n));
    expect(notRecorded).toBeLessThan(EVENTS / 50);

    // Versions 1..n per member with no gap, one create each; each update version came from one
    // audited apply (one `member.update` success per version).
    const versions = await sql<{ members: string; creates: string; updates: string; gaps: string }>(
      `select count(distinct c.member_id) as members,
         count(*) filter (where c.kind = 'create') as creates,
         count(*) filter (where c.kind = 'update') as updates,
         count(distinct c.member_id) filter (where m.version <> (select count(*) from member_change x where x.member_id = m.id)) as gaps
       from member_change c join member m on m.id = c.member_id where m.source_partner_id = $1`,
      [source.partnerId],
    );
    expect(Number(versions[0].members)).toBe(SCENARIO.members);
    expect(Number(versions[0].creates)).toBe(SCENARIO.members);
    expect(Number(versions[0].gaps)).toBe(0);
    const audited = await sql<{ action: string; n: string }>(
      `select action, count(*) as n from audit_event
        where action in ('member.update', 'member.create') and outcome = 'success'
          and resource_ids[1] in (select id from member where source_partner_id = $1)
        group by action`,
      [source.partnerId],
    );
    const auditedCount = (action: string) => Number(audited.find((a) => a.action === action)?.n ?? 0);
    expect(auditedCount('member.update')).toBe(Number(versions[0].updates));
    expect(auditedCount('member.create')).toBe(SCENARIO.members);
    // Every update version was made by a recorded event of the sim (none by a retry or a replay of
    // its own): the event names the version its change produced.
    const claimed = new Set(recorded.map((r) => `${r.member_id}:${r.version}`));
    const updates = (await memberChanges()).filter((c) => Number(c.version) > 1);
    expect(updates).toHaveLength(Number(versions[0].updates));
    expect(updates.filter((c) => !claimed.has(`${c.member_id}:${c.version}`))).toEqual([]);
  }, 60_000);

  it('delivered each change to the subscribed partner exactly once, the deliveries shared by both workers', async () => {
    const changes = await memberChanges();
    const expected = new Set(changes.map((c) => `${c.member_id}:${c.version}`));
    await waitFor('every change delivered', 90_000, () =>
      receiver.received(subscription.path).length >= expected.size ? true : undefined,
    );
    // Nothing left to send anywhere, then a pause in which a second copy would still arrive.
    const deliveries = queue('deliveries');
    try {
      await waitFor('idle deliveries', 60_000, async () => {
        const pending = await sql<{ n: string }>('select count(*) as n from outbox where relayed_at is null');
        const counts = await deliveries.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
        return Number(pending[0].n) + counts.active + counts.waiting + counts.delayed + counts.prioritized ===
          0
          ? true
          : undefined;
      });
      expect(await deliveries.getJobCounts('failed')).toEqual({ failed: 0 });
    } finally {
      await deliveries.close();
    }
    await sleep(2_000);

    const received = receivedDeliveries();
    const pairs = received.map((r) => `${r.memberId}:${r.version}`);
    expect(pairs.filter((p, i) => pairs.indexOf(p) !== i)).toEqual([]); // no (member, version) twice
    expect(new Set(pairs)).toEqual(expected);
    expect(new Set(received.map((r) => r.webhookId)).size).toBe(received.length);
    expect(received.filter((r) => r.version === 1).every((r) => r.type === 'member.created')).toBe(true);
    expect(received.filter((r) => r.version > 1).every((r) => r.type === 'member.updated')).toBe(true);

    // Both worker processes sent deliveries (their own `delivered` log lines, by pid), and no outbox
    // row was sent by both.
    const [first, second] = workers.map((w) => new Set(deliveredBy(w)));
    expect(first.size).toBeGreaterThan(0);
    expect(second.size).toBeGreaterThan(0);
    expect([...first].filter((id) => second.has(id))).toEqual([]);
    expect(first.size + second.size).toBe(received.length);
    // The poller ran on a worker, never two runs of the source at once failing the other.
    const polls = workers.map(
      (w) => w.logLines().filter((l) => l.pid === w.pid && l.msg === 'source run finished').length,
    );
    expect(polls.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 180_000);

  it('applies one signed update sent to both API processes at the same moment once, and delivers it once', async () => {
    const [member] = await sql<{ id: string; version: string }>(
      'select id, version from member where source_partner_id = $1 order by id limit 1',
      [source.partnerId],
    );
    const signed = signWebhookBody(source.inboundSecret, {
      eventId: `evt_${randomUUID()}`,
      occurredAt: new Date().toISOString(),
      changes: { coverage: { planCode: `PLN-${faker.string.alphanumeric(8).toUpperCase()}` } },
    });
    // The same request (same webhook-id, same bytes) straight to each API's own port.
    const answers = await Promise.all(
      apiPorts.map((port) =>
        createMemberSyncClient({ baseUrl: `https://127.0.0.1:${port}`, ca, keepAlive: false }).POST(
          '/api/v1/members/{memberId}/updates',
          {
            params: { path: { memberId: member.id }, header: signed.header },
            body: signed.body,
            bodySerializer: signed.bodySerializer,
            headers: { ...bearer(source.token), 'content-type': 'application/json' },
          },
        ),
      ),
    );
    const statuses = answers.map((a) => a.response.status).sort();
    // One applies (200); the other is the stored answer of the first (200, replayed) or refused
    // while the first is still running (409): never a second apply.
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses).toContain(200);
    const after = await sql<{ version: string; changes: string }>(
      `select m.version, (select count(*) from member_change c where c.member_id = m.id) as changes
         from member m where m.id = $1`,
      [member.id],
    );
    expect(Number(after[0].version)).toBe(Number(member.version) + 1);
    expect(Number(after[0].changes)).toBe(Number(member.version) + 1);
    const delivered = await waitFor('the delivery of the new version', 30_000, () => {
      const copies = receivedDeliveries().filter(
        (r) => r.memberId === member.id && r.version === Number(member.version) + 1,
      );
      return copies.length > 0 ? copies : undefined;
    });
    await sleep(2_000);
    expect(
      receivedDeliveries().filter(
        (r) => r.memberId === member.id && r.version === Number(member.version) + 1,
      ),
    ).toHaveLength(delivered.length);
    expect(delivered).toHaveLength(1);
  }, 60_000);

  it('the audit chain written by four processes verifies in full from the CLI (exit 0)', async () => {
    const verified = await runCli(['audit', 'verify', '--full'], env, cwd);
    // (stderr shown on failure: it names the first broken sequence number)
    expect({ code: verified.code, stderr: verified.code === 0 ? '' : verified.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    const result = JSON.parse(verified.stdout.trim().split('\n').pop()!) as { ok: boolean };
    expect(result.ok).toBe(true);
    // Positive control: the chain holds the events of the run (creates, updates, deliveries, polls).
    const events = await sql<{ n: string }>('select count(*) as n from audit_event');
    expect(Number(events[0].n)).toBeGreaterThan(EVENTS);
  }, 90_000);

  it('stops every process cleanly on SIGTERM (a rolling deploy): in-flight work finishes, exit 0', async () => {
    const exits = await Promise.all(processes.map((p) => p.stop(20_000)));
    expect(exits).toEqual(processes.map(() => ({ code: 0, signal: null })));
  }, 60_000);
});
