import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { EntityManager } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { DATA_CATEGORIES, JobQueues, ManualClock } from '@app/common';
import { webhookHeaders } from '@app/crypto';
import { MemberWriter } from '@app/members';
import type { GenerationRun, RunningSim, SimMemberView } from '../apps/membership-sim/src';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import {
  loopbackDeliveryEnv,
  startHttpsReceiver,
  waitFor,
  type HttpsReceiver,
} from './support/https-receiver';
import {
  adminPost,
  createClient,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, signatureHeaders, syntheticMember } from './support/member-fixtures';
import { TEST_PG_ADMIN_URL, TEST_REDIS_URL, TEST_TLS_DIR } from './support/services';
import { dropSimDatabase, setupSourcePartner, startTestSim } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(7070);

/** Registration never accepts loopback: subscriptions register a public literal, then the test repoints them. */
const PUBLIC_URL = 'https://93.184.216.34/hooks/member-sync';
/** Four attempts, a second apart (DELIVERY_RETRY_SCHEDULE_SECONDS). */
const SCHEDULE = '0,1,1,1';
const ATTEMPTS = 4;
const FEED_TOKEN = `feed-${randomBytes(16).toString('hex')}`;
/** A synthetic surname no generator makes and nothing else in the database holds: a canary. */
const surname = () => `${faker.person.lastName()}${faker.string.alpha({ length: 10, casing: 'lower' })}`;

interface OutboxRow extends Record<string, unknown> {
  id: string;
  member_id: string;
  member_version: string;
  sender: string;
}

/**
 * The return path, end to end: changes made on our side (a partner's preferences, an officer's
 * reconciliation decision, a platform amendment, a deletion) reach the membership-sim's own store
 * through its webhook subscription, signed; what the sim pushed itself is never echoed back to it.
 * Then a canary scan over everything sync leaves behind (pg_dump, every Redis key of the suite,
 * the API's and worker's log): no member value and no secret in clear.
 */
describe('sync round trip: our changes go back to the membership system, and no ePHI rests in clear', () => {
  const clock = new ManualClock(Date.now());
  const simDatabase = `msync_t_simrt_${randomBytes(5).toString('hex')}`;
  const ca = readFileSync(join(TEST_TLS_DIR, 'cert.pem'));
  const logFile = join(mkdtempSync(join(tmpdir(), 'msync-roundtrip-log-')), 'api.log');
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let sim: RunningSim;
  let officer: AdminSession;
  let security: AdminSession;
  let source: PartnerSetup;
  let simToken: string;
  let simClientSecret: string;
  let inboundSecret: string;
  let simSubscription: { id: string; secret: string };
  let other: { partnerId: string; token: string; subscriptionId: string; secret: string; path: string };
  let deleterToken: string;
  let sourceId: string;
  /** Values only our side made up (amendments, decisions, a create): canaries for the scan. */
  const ourCanaries: string[] = [];
  /** The outbox row of the first delivery to the sim: the positive control of the Redis and log scans. */
  let simDeliveryOutboxId: string;

  const simCall = (method: 'get' | 'put' | 'post', path: string) => request(sim.url)[method](path).ca(ca);
  const simView = async (sourceRef: string) => {
    const res = await simCall('get', `/sim/members/${sourceRef}`);
    expect(res.status).toBe(200);
    return res.body as SimMemberView;
  };
  const simMembers = async (): Promise<SimMemberView[]> => {
    const all: SimMemberView[] = [];
    let cursor: string | null = null;
    do {
      const page = await simCall('get', `/sim/members?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...(page.body.data as SimMemberView[]));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    return all;
  };
  const simInbox = async () =>
    (await simCall('get', '/sim/deliveries')).body as {
      counts: Record<string, number>;
      recent: Array<{ webhookId: string; outcome: string; status: number }>;
    };
  const generate = async (body: object): Promise<GenerationRun> => {
    const res = await simCall('post', '/sim/generate').send(body);
    if (res.status !== 200) throw new Error(`generate: ${res.status} ${res.text}`);
    return res.body as GenerationRun;
  };
  const asAdmin = (session: AdminSession) => ({
    get: (path: string) => api.http().get(path).set('authorization', `Bearer ${session.accessToken}`),
    post: (path: string, body: object) =>
      api.http().post(path).set('authorization', `Bearer ${session.accessToken}`).send(body),
  });
  /** A signed request from the sim's partner with the inbound secret the sim holds. */
  const signedBySource = (path: string, body: object, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    return api
      .http()
      .post(path)
      .set('authorization', `Bearer ${simToken}`)
      .set('content-type', 'application/json')
      .set({ ...signatureHeaders(api, inboundSecret, text), ...headers })
      .send(text);
  };
  /** The outbox rows of a member's changes, oldest first. */
  const outboxOf = (memberId: string) =>
    sql<OutboxRow>(
      api,
      'select id, member_id, member_version, sender from outbox where member_id = $1 order by id',
      [memberId],
    );
  /** The sim's inbox entry for one change, if it received one (webhook-id = `<outboxId>.<subscriptionId>`). */
  const inboxEntryFor = async (outboxId: string) =>
    (await simInbox()).recent.find((e) => e.webhookId === `${outboxId}.${simSubscription.id}`);
  const preferencesPut = async (memberId: string, body: object) => {
    const read = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .set('authorization', `Bearer ${other.token}`);
    expect(read.status).toBe(200);
    return api
      .http()
      .put(`/api/v1/members/${memberId}/preferences`)
      .set('authorization', `Bearer ${other.token}`)
      .set('if-match', read.headers.etag)
      .send(body);
  };
  const waitForIdleDeliveries = async () => {
    const queue = api.app.get(JobQueues).queue('deliveries');
    const idle = await waitFor(
      async () => {
        const pending = await sql<{ n: string }>(
          api,
          'select count(*) as n from outbox where relayed_at is null',
        );
        const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
        return Number(pending[0].n) + counts.active + counts.waiting + counts.delayed + counts.prioritized;
      },
      (n) => n === 0,
    );
    expect(idle).toBe(0);
  };

  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    api = await startTestApi({
      clock,
      env: {
        ...loopbackDeliveryEnv(SCHEDULE),
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
        // Logging on and really written: the scan reads what the API and the worker wrote.
        LOG_LEVEL: 'info',
        LOG_FILE: logFile,
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    const setup = await setupSourcePartner(api, clock, [
      'sync:write',
      'members:read',
      'subscriptions:manage',
    ]);
    ({ officer, security, source, token: simToken } = setup);
    const simClient = setup.client;
    simClientSecret = simClient.clientSecret!;
    const secret = await adminPost(
      api,
      security.accessToken,
      `/api/v1/admin/partners/${source.partnerId}/webhook-secrets`,
      {},
    );
    expect(secret.status).toBe(201);
    inboundSecret = secret.body.secret as string;

    // A benefits administrator of the same organization: changes preferences, and subscribes too.
    const admin = await setupPartner(api, officer.accessToken, {
      type: 'benefits_admin',
      categories: ['identity', 'membership', 'contact', 'preferences'],
    });
    await sql(api, 'update partner set organization_ids = organization_ids || $1::text where id = $2', [
      source.organizationId,
      admin.partnerId,
    ]);
    const adminClient = await createClient(api, security.accessToken, admin.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['subscriptions:manage', 'members:read', 'members.preferences:write'],
    });
    const adminToken = await clientToken(api, adminClient);
    const sub = await api
      .http()
      .post('/api/v1/webhook-subscriptions')
      .set('authorization', `Bearer ${adminToken}`)
      .send({ url: PUBLIC_URL, events: ['member.updated', 'member.deleted'] });
    expect(sub.status).toBe(201);
    const path = `/hooks/${sub.body.id as string}`;
    await sql(api, 'update webhook_subscription set url = $1 where id = $2', [
      `https://127.0.0.1:${receiver.port}${path}`,
      sub.body.id,
    ]);
    other = {
      partnerId: admin.partnerId,
      token: adminToken,
      subscriptionId: sub.body.id,
      secret: sub.body.secret,
      path,
    };

    // Deleting is a membership-system scope (members:write): a second system of the same organization.
    const deleter = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    await sql(api, 'update partner set organization_ids = organization_ids || $1::text where id = $2', [
      source.organizationId,
      deleter.partnerId,
    ]);
    deleterToken = await clientToken(
      api,
      await createClient(api, security.accessToken, deleter.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read', 'members:write'],
      }),
    );

    sim = await startTestSim(simDatabase, FEED_TOKEN);
    const target = await simCall('put', '/sim/target').send({
      baseUrl: api.baseUrl,
      organizationId: source.organizationId,
      clientId: simClient.clientId,
      clientSecret: simClient.clientSecret,
      webhookSecret: inboundSecret,
      caPem: ca.toString('utf8'),
    });
    expect(target.status).toBe(204);
  }, 60_000);

  // The sim checks delivery timestamps against real time (5-minute tolerance): keep our clock on it.
  beforeEach(() => clock.set(new Date(Math.max(Date.now(), clock.nowMs()))));

  afterAll(async () => {
    await worker?.close();
    await sim?.close();
    await api?.close();
    await receiver?.close();
    await dropSimDatabase(simDatabase);
  });

  describe('A. the return path', () => {
    let members: SimMemberView[];

    it('lets the membership system subscribe its inbox and hands the sim the subscription secret', async () => {
      const created = await api
        .http()
        .post('/api/v1/webhook-subscriptions')
        .set('authorization', `Bearer ${simToken}`)
        .send({ url: PUBLIC_URL, events: ['member.updated', 'member.deleted'] });
      expect(created.status).toBe(201);
      simSubscription = { id: created.body.id, secret: created.body.secret };
      expect(simSubscription.secret).toMatch(/^whsec_/);
      await sql(api, 'update webhook_subscription set url = $1 where id = $2', [
        `${sim.url}/sim/deliveries`,
        simSubscription.id,
      ]);
      const secrets = await simCall('put', '/sim/deliveries/secrets').send({
        secrets: [simSubscription.secret],
      });
      expect(secrets.status).toBe(204);
    });

    it('the sim creates members with signed creates and learns our ids', async () => {
      const run = await generate({ members: 8, changes: 0, seed: 7101, dropRate: 0, duplicateRate: 0 });
      expect(run).toMatchObject({ status: 'done', events: 8, sent: 8, responses: { '201': 8 } });
      members = await simMembers();
      expect(members).toHaveLength(8);
      for (const m of members) expect(m.memberId).toMatch(/^mbr_/);
      // Its own creates come from it: nothing was delivered back.
      await waitForIdleDeliveries();
      expect((await simInbox()).counts.received).toBe(0);
    });

    it("a benefits admin's preferences change lands in the sim's own store, signed for it", async () => {
      const [m] = members;
      const before = await simView(m.sourceRef);
      const wanted = {
        channel: before.preferences?.channel === 'sms' ? 'email' : 'sms',
        language: before.preferences?.language === 'es' ? 'fr' : 'es',
        marketingOptIn: !(before.preferences?.marketingOptIn ?? false),
      };
      const changed = await preferencesPut(m.memberId!, wanted);
      expect(changed.status).toBe(200);

      const after = await waitFor(
        () => simView(m.sourceRef),
        (v) => v.preferences?.language === wanted.language,
      );
      expect(after.preferences).toEqual(wanted);
      expect(after.version).toBe(before.version + 1);
      // The sim's other groups are untouched by our delivery (they were equal already).
      expect(after.identity).toEqual(before.identity);
      expect(after.coverage).toEqual(before.coverage);

      // Received once, verified by the subscription's Standard Webhooks signature, and applied.
      const [row] = (await outboxOf(m.memberId!)).filter((r) => r.sender === other.partnerId);
      expect(row).toBeDefined();
      simDeliveryOutboxId = row.id;
      expect(await inboxEntryFor(row.id)).toMatchObject({ outcome: 'applied', status: 200 });
      expect((await simInbox()).counts).toMatchObject({ received: 1, applied: 1, refused: 0 });
      const audited = await sql(
        api,
        `select 1 from audit_event where action = 'member.deliver' and outcome = 'success'
          and partner_id = $1 and $2 = any(resource_ids)`,
        [source.partnerId, m.memberId],
      );
      expect(audited).toHaveLength(1);
    });

    it('the sim refuses a delivery signed with any other secret, and applies nothing', async () => {
      const [m] = members;
      const before = await simView(m.sourceRef);
      const body = JSON.stringify({
        type: 'member.updated',
        memberId: m.memberId,
        version: before.version + 1,
        occurredAt: new Date().toISOString(),
        data: { preferences: { channel: 'mail', language: 'de', marketingOptIn: false } },
      });
      const forged = `whsec_${randomBytes(24).toString('base64')}`;
      const res = await simCall('post', '/sim/deliveries')
        .set('content-type', 'application/json')
        .set({ ...webhookHeaders(forged, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body) })
        .send(body);
      expect(res.status).toBe(401);
      expect(await simView(m.sourceRef)).toEqual(before);
      expect((await simInbox()).counts.refused).toBe(1);
    });

    it("a manual conflict's case resolved with a new value by a compliance officer lands in the sim", async () => {
      const m = members[1];
      // A platform amendment of the name (the amendment route will write the same way): delivered back too.
      const ours = surname();
      const amendedAt = clock.now();
      await api.app
        .get(EntityManager)
        .fork()
        .transactional(async (em) => {
          const writer = api.app.get(MemberWriter);
          const locked = await writer.lockStamped(em, m.memberId!);
          await writer.replaceFields(
            em,
            locked!,
            { familyName: ours },
            {
              sender: 'adm_PLATFORMAMENDMENT000000000',
              occurredAt: amendedAt,
              now: amendedAt,
              side: 'b2b_platform',
            },
          );
        });
      const amended = await waitFor(
        () => simView(m.sourceRef),
        (v) => v.identity?.familyName === ours,
      );
      expect(amended.identity?.familyName).toBe(ours);

      // The membership system changes the same name meanwhile: a manual conflict, a case.
      const theirs = surname();
      const conflict = await signedBySource(`/api/v1/members/${m.memberId}/updates`, {
        eventId: `evt-${randomUUID()}`,
        occurredAt: new Date(amendedAt.getTime() + 1000).toISOString(),
        changes: { identity: { familyName: theirs } },
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body.fields).toEqual([{ field: 'identity.familyName', reason: 'manual' }]);
      expect(conflict.text).not.toContain(theirs);
      const caseId = conflict.body.caseId as string;

      const decided = surname();
      ourCanaries.push(ours, theirs, decided);
      const resolved = await asAdmin(officer).post(`/api/v1/admin/reconciliation-cases/${caseId}/resolve`, {
        resolution: 'new_value',
        value: { identity: { familyName: decided } },
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toEqual({ memberId: m.memberId, version: 3 });

      const after = await waitFor(
        () => simView(m.sourceRef),
        (v) => v.identity?.familyName === decided,
      );
      expect(after.identity?.familyName).toBe(decided);
      const [decision] = (await outboxOf(m.memberId!)).filter((r) => r.sender === officer.id);
      expect(decision).toMatchObject({ member_version: '3' });
      expect(await inboxEntryFor(decision.id)).toMatchObject({ outcome: 'applied', status: 200 });
    });

    it('a change the sim pushed itself is not delivered back to it, while another partner receives it', async () => {
      const run = await generate({ members: 0, changes: 12, seed: 7102, dropRate: 0, duplicateRate: 0 });
      expect(run.status).toBe('done');
      expect(run.sent).toBe(12);
      const pushed = await sql<OutboxRow>(
        api,
        `select id, member_id, member_version, sender from outbox where sender = $1 and change_kind = 'updated' order by id`,
        [source.partnerId],
      );
      expect(pushed.length).toBeGreaterThan(0);

      // The other subscriber receives each of them, signed with its own secret.
      const expected = pushed.map((r) => `${r.id}.${other.subscriptionId}`);
      const received = await waitFor(
        () => receiver.received(other.path),
        (list) => expected.every((id) => list.some((r) => r.headers['webhook-id'] === id)),
      );
      for (const id of expected) {
        const delivery = received.find((r) => r.headers['webhook-id'] === id);
        expect(delivery).toBeDefined();
        expect(() =>
          new Webhook(other.secret).verify(delivery!.body.toString('utf8'), delivery!.headers),
        ).not.toThrow();
      }
      await waitForIdleDeliveries();
      // ...while the sim's inbox has no entry for any of them.
      const inbox = await simInbox();
      const echoed = inbox.recent.filter((e) => pushed.some((r) => e.webhookId.startsWith(`${r.id}.`)));
      expect(echoed).toEqual([]);
      expect(inbox.counts.received).toBe(4); // the preferences, the forged one, the amendment, the decision
    });

    it('a deletion on our side marks the member deleted in the sim', async () => {
      const m = members[3];
      const deleted = await api
        .http()
        .delete(`/api/v1/members/${m.memberId}`)
        .set('authorization', `Bearer ${deleterToken}`);
      expect(deleted.status).toBe(204);
      const after = await waitFor(
        () => simView(m.sourceRef),
        (v) => v.status === 'deleted',
      );
      expect(after.status).toBe('deleted');
      const [row] = (await outboxOf(m.memberId!)).filter((r) => r.sender !== source.partnerId);
      expect(await inboxEntryFor(row.id)).toMatchObject({ outcome: 'applied', status: 200 });
      // The other subscriber is told too, with no member data left to send.
      const toOther = await waitFor(
        () =>
          receiver
            .received(other.path)
            .filter((r) => r.headers['webhook-id'] === `${row.id}.${other.subscriptionId}`),
        (list) => list.length > 0,
      );
      expect(JSON.parse(toOther[0].body.toString('utf8'))).toMatchObject({
        type: 'member.deleted',
        memberId: m.memberId,
        data: null,
      });
    });

    it('a delivery the sim kept refusing is dead-lettered, and a replay lands it in the sim', async () => {
      const m = members[4];
      const fault = await simCall('put', '/sim/deliveries/faults').send({ status: 503, times: ATTEMPTS });
      expect(fault.status).toBe(200);
      const before = await simView(m.sourceRef);
      const wanted = { channel: 'sms', language: 'pt', marketingOptIn: true };
      expect((await preferencesPut(m.memberId!, wanted)).status).toBe(200);

      const list = () =>
        asAdmin(security)
          .get('/api/v1/admin/deliveries/dead-letters')
          .then(
            (r) => (r.body.data as Array<{ id: string; subscriptionId: string; attempts: number }>) ?? [],
          );
      const dead = await waitFor(list, (d) => d.some((x) => x.subscriptionId === simSubscription.id));
      const letter = dead.find((x) => x.subscriptionId === simSubscription.id);
      expect(letter).toMatchObject({ attempts: ATTEMPTS });
      expect((await simView(m.sourceRef)).version).toBe(before.version);

      const replay = await asAdmin(security).post(
        `/api/v1/admin/deliveries/dead-letters/${letter!.id}/replay`,
        {},
      );
      expect(replay.status).toBe(202);
      const after = await waitFor(
        () => simView(m.sourceRef),
        (v) => v.preferences?.language === 'pt',
      );
      expect(after.preferences).toEqual(wanted);
    });
  });

  describe('B. canary scan over sync data', () => {
    it('polls the sim after webhooks with drops and duplicates, and replays an idempotent signed create', async () => {
      const created = await asAdmin(security).post('/api/v1/admin/sources', {
        partnerId: source.partnerId,
        changeFeedUrl: `${sim.url}/changes`,
        pollIntervalSeconds: 86_400,
        bearerToken: FEED_TOKEN,
      });
      expect(created.status).toBe(201);
      sourceId = created.body.id as string;
      const run = await generate({
        members: 6,
        changes: 30,
        seed: 7103,
        dropRate: 0.3,
        duplicateRate: 0.2,
        reorder: true,
      });
      expect(run.status).toBe('done');
      expect(run.dropped).toBeGreaterThan(0);
      expect(run.duplicated).toBeGreaterThan(0);
      const poll = await asAdmin(security).post(`/api/v1/admin/sources/${sourceId}/poll`, {});
      expect(poll.status).toBe(202);
      const queue = api.app.get(JobQueues).queue('polling');
      const state = await waitFor(
        async () => (await queue.getJob(poll.body.jobId as string))?.getState(),
        (s) => s === 'completed' || s === 'failed',
        60_000,
      );
      expect(state).toBe('completed');
      const [row] = await sql<{ status: string }>(api, 'select status from sync_source where id = $1', [
        sourceId,
      ]);
      expect(row.status).toBe('done');

      // A signed create sent twice under one Idempotency-Key: the second answer is the stored one.
      const familyName = surname();
      ourCanaries.push(familyName);
      const body = syntheticMember(source.organizationId, {
        sourceRef: `src_${randomBytes(10).toString('hex')}`,
        occurredAt: clock.now().toISOString(),
        identity: { ...syntheticMember(source.organizationId).identity, familyName },
      });
      const key = `idem-${randomUUID()}`;
      ourCanaries.push(
        body.governmentId.ssn,
        body.contact.email,
        body.contact.phone,
        body.contact.address.line1,
      );
      const first = await signedBySource('/api/v1/members', body, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      const second = await signedBySource('/api/v1/members', body, { 'idempotency-key': key });
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      await waitForIdleDeliveries();
    }, 120_000);

    it('holds no member value and no secret in a pg_dump, in any Redis key of the suite, or in the logs', async () => {
      const members = await simMembers();
      // A name is a canary when it is long enough not to occur by chance in base64 and ids, and no
      // company name faker made for an organization, vendor or partner (in clear, not member data) holds it.
      const companies = (
        await sql<{ name: string }>(
          api,
          'select name from organization union all select name from vendor union all select name from partner',
        )
      )
        .map((r) => r.name)
        .join('\n');
      const distinctive = (name: string | undefined) =>
        name !== undefined && name.length >= 6 && !companies.includes(name);
      const memberCanaries = members.flatMap((m) => [
        m.governmentId?.ssn,
        m.contact?.email,
        m.contact?.phone,
        m.contact?.address?.line1,
        m.identity?.dateOfBirth,
        m.membership?.externalMemberNumber,
        ...(m.dependents ?? []).map((d) => d.dateOfBirth),
        ...[
          m.identity?.givenName,
          m.identity?.familyName,
          ...(m.dependents ?? []).flatMap((d) => [d.givenName, d.familyName]),
        ].filter(distinctive),
      ]);
      expect(memberCanaries.filter((c) => /^[A-Z][a-z]+$/.test(c ?? '')).length).toBeGreaterThan(
        members.length,
      );
      const values = [...memberCanaries, ...ourCanaries].filter((v): v is string => typeof v === 'string');
      expect(values.length).toBeGreaterThan(members.length * 5);
      // The canaries are the values as stored: the sim keeps its members in clear, and the same
      // search over its database finds every one of them (it is the other company's: not scanned).
      const pgUrl = new URL(TEST_PG_ADMIN_URL);
      pgUrl.pathname = `/${simDatabase}`;
      const simDump = execFileSync('pg_dump', ['--no-owner', '--data-only', pgUrl.toString()], {
        maxBuffer: 512 * 1024 * 1024,
      }).toString();
      expect(memberCanaries.filter((c) => typeof c === 'string' && !simDump.includes(c))).toEqual([]);
      const secrets = [
        inboundSecret,
        inboundSecret.replace(/^whsec_/, ''),
        simSubscription.secret,
        simSubscription.secret.replace(/^whsec_/, ''),
        other.secret,
        other.secret.replace(/^whsec_/, ''),
        FEED_TOKEN,
        simClientSecret,
      ];
      const canaries = [...values, ...secrets];
      const leaks = (text: string) => canaries.filter((c) => text.includes(c));

      // Postgres: every table of the suite's database (the sim's database is the other company's).
      const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
        maxBuffer: 512 * 1024 * 1024,
      }).toString();
      for (const table of [
        'member_change',
        'outbox',
        'sync_applied_event',
        'sync_source',
        'webhook_subscription',
        'webhook_subscription_secret',
        'audit_event',
      ])
        expect(dump).toContain(`COPY public.${table} `);
      expect(dump).toMatch(/COPY public\.idempotency\w* /);
      expect(dump).toMatch(/COPY public\.reconciliation_case\w* /);
      // Positive controls: ids are there, so the dump is of the right data.
      // (A member whose create webhook was dropped has no id of ours at the sim: take one that has.)
      expect(dump).toContain(members.find((m) => m.memberId !== null)!.memberId!);
      expect(dump).toContain(sourceId);
      expect(dump).toContain(simDeliveryOutboxId);
      expect(leaks(dump)).toEqual([]);

      // Redis: every key under the suite's prefix, whatever its type.
      const prefix = api.config.redis.keyPrefix;
      const redis = new Redis(TEST_REDIS_URL);
      const parts: string[] = [];
      try {
        for (const pattern of [`${prefix}:*`, `{${prefix}}:*`, `{${prefix}:*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            for (const key of keys) {
              parts.push(key);
              const type = await redis.type(key);
              if (type === 'string') parts.push((await redis.get(key)) ?? '');
              else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
              else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
              else if (type === 'set') parts.push(...(await redis.smembers(key)));
              else if (type === 'zset') parts.push(...(await redis.zrange(key, '0', '-1')));
              else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
              else parts.push(`(unread type ${type})`);
            }
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
      }
      const redisText = parts.join('\n');
      expect(redisText).not.toContain('(unread type');
      // Positive controls: the delivery and polling jobs are there, by their ids.
      expect(redisText).toContain(`${simDeliveryOutboxId}.${simSubscription.id}`);
      expect(redisText).toContain(sourceId);
      expect(redisText).toMatch(/:deliveries:/);
      expect(redisText).toMatch(/:polling:/);
      expect(leaks(redisText)).toEqual([]);

      // Logs of the API and the worker (one destination, redacted); the delivery lines name the outbox id.
      const logs = await waitFor(
        () => readFileSync(logFile, 'utf8'),
        (text) => text.includes(simDeliveryOutboxId),
      );
      // The worker's own line (the sim, in this process too, logs webhook ids in plain text).
      expect(logs).toContain(`"outboxId":"${simDeliveryOutboxId}"`);
      expect(leaks(logs)).toEqual([]);
    }, 60_000);
  });
  describe('C. what the source receives: its sourceRef, and only the groups a change touched', () => {
    const GROUPS = [
      'identity',
      'governmentId',
      'contact',
      'membership',
      'coverage',
      'dependents',
      'wellness',
    ] as const;
    const ourIdOf = async (sourceRef: string) =>
      (
        await sql<{ id: string }>(
          api,
          'select id from member where source_partner_id = $1 and source_ref = $2',
          [source.partnerId, sourceRef],
        )
      )[0]?.id;
    const flipPreferences = (view: SimMemberView) => ({
      channel: view.preferences?.channel === 'sms' ? 'email' : 'sms',
      language: view.preferences?.language === 'es' ? 'fr' : 'es',
      marketingOptIn: !(view.preferences?.marketingOptIn ?? false),
    });

    it('reaches a member the sim knows only by its sourceRef (its create webhook was dropped; polling brought it)', async () => {
      const unknown = (await simMembers()).filter((m) => !m.memberId && m.status === 'active');
      // Positive control: the drops of part B left members the sim never learnt our id for.
      expect(unknown.length).toBeGreaterThan(0);
      const m = unknown[0];
      const ours = await ourIdOf(m.sourceRef);
      expect(ours).toMatch(/^mbr_/);
      const wanted = flipPreferences(await simView(m.sourceRef));
      expect((await preferencesPut(ours, wanted)).status).toBe(200);
      const after = await waitFor(
        () => simView(m.sourceRef),
        (v) => v.preferences?.language === wanted.language,
      );
      expect(after.preferences).toEqual(wanted);
      const [row] = (await outboxOf(ours)).filter((r) => r.sender === other.partnerId);
      expect(await inboxEntryFor(row.id)).toMatchObject({ outcome: 'applied', status: 200 });
    });

    it("never overwrites the sim's newer values of groups our change did not touch", async () => {
      // The sim changes members without telling us (webhooks not sent, the next poll not run yet).
      const run = await generate({ members: 0, changes: 40, seed: 7109, send: false });
      expect(run.status).toBe('done');
      let target: { view: SimMemberView; ours: string; group: (typeof GROUPS)[number] } | undefined;
      for (const view of await simMembers()) {
        const ours = view.status === 'active' ? await ourIdOf(view.sourceRef) : undefined;
        if (!ours) continue;
        const read = await api
          .http()
          .get(`/api/v1/members/${ours}`)
          .set('authorization', `Bearer ${simToken}`);
        if (read.status !== 200) continue;
        const group = GROUPS.find((g) => !isDeepStrictEqual(read.body[g] ?? null, view[g] ?? null));
        if (group) {
          target = { view, ours, group };
          break;
        }
      }
      // Positive control: some member now differs between the sim and us outside preferences.
      expect(target).toBeDefined();
      const { view, ours, group } = target!;
      const wanted = flipPreferences(view);
      expect((await preferencesPut(ours, wanted)).status).toBe(200);
      const after = await waitFor(
        () => simView(view.sourceRef),
        (v) => v.preferences?.language === wanted.language,
      );
      expect(after.preferences).toEqual(wanted);
      // The sim's own newer value of the other group is still there (a whole-member delivery put ours back).
      expect(after[group]).toEqual(view[group]);
    });
  });
});
