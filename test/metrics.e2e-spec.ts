import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { ALERT_STATUSES, ALERT_TYPES, CheckpointsService } from '@app/audit';
import { JobQueues, ManualClock, QUEUE_NAMES } from '@app/common';
import { DELIVERY_OUTCOME_LABELS } from '@app/sync';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { QUEUE_JOB_STATES } from '../apps/api/src/metrics/operations-series';
import { adminPost, sql, type AdminSession, type PartnerSetup } from './support/identity-fixtures';
import { createMember, postSigned, syntheticMember } from './support/member-fixtures';
import {
  loopbackDeliveryEnv,
  startHttpsReceiver,
  waitFor,
  type HttpsReceiver,
} from './support/https-receiver';
import { parseExposition, valueOf } from './support/prometheus';
import { TEST_REDIS_URL } from './support/services';
import { subscribePartner } from './support/subscription-fixtures';
import { setupSourcePartner } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(6262);

const METRICS_TOKEN = `mt_${randomBytes(24).toString('hex')}`;
/** Two attempts a second apart: the failing endpoint sees a retry scheduled, then a dead letter. */
const SCHEDULE = '0,1';
const MEMBER_ROUTE = '/api/v1/members/:memberId';
/** A 26-character ULID/base32 body: what an opaque id in a path would leave in a label. */
const OPAQUE_ID = /[0-9A-HJKMNP-TV-Z]{26}/;

describe('GET /metrics: requests, queues, delivery outcomes, audit chain and alerts', () => {
  const clock = new ManualClock(Date.now());
  let peer: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let security: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let okSub: { id: string; path: string; token: string };
  let failingSub: { id: string; path: string; token: string };
  let memberId: string;
  let canaries: string[];
  /** A path segment sent only in a request no route matches. */
  const scannerSegment = `probe${randomBytes(6).toString('hex')}canary`;

  const scrape = (authorization?: string) => {
    const call = api.http().get('/metrics');
    return authorization === undefined ? call : call.set('authorization', authorization);
  };
  const samples = async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    return parseExposition(res.text);
  };
  const readMember = () =>
    api.http().get(`/api/v1/members/${memberId}`).set('authorization', `Bearer ${syncToken}`);

  beforeAll(async () => {
    // Partners' webhook endpoints: `/hooks/ok/...` answer 204, anything else 503.
    peer = await startHttpsReceiver({
      answer: (path) => ({ status: path.startsWith('/hooks/ok/') ? 204 : 503 }),
    });
    api = await startTestApi({
      clock,
      env: {
        METRICS_TOKEN,
        ...loopbackDeliveryEnv(SCHEDULE),
        DELIVERY_DISABLE_AFTER_FAILING_SECONDS: '86400',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        // Three refused tokens from one address raise an auth_failures alert.
        AUTH_FAILURE_ALERT_THRESHOLD: '3',
        // Checkpoints only when the suite signs one, so their ages are the suite's to know.
        AUDIT_CHECKPOINT_INTERVAL_SECONDS: '86400',
        AUDIT_CHECKPOINT_EVERY_EVENTS: '1000000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    const setup = await setupSourcePartner(api, clock, ['sync:write', 'members:read']);
    ({ security, source, token: syncToken } = setup);
    const subscriber = async (path: (id: string) => string) => {
      const sub = await subscribePartner(api, {
        officerToken: setup.officer.accessToken,
        securityToken: security.accessToken,
        sourceOrganizationId: source.organizationId,
        receiverPort: peer.port,
        categories: ['identity', 'contact'],
        scopes: ['subscriptions:manage', 'members:read'],
        events: ['member.updated'],
        path,
      });
      return { id: sub.subscriptionId, path: sub.path, token: sub.token };
    };
    okSub = await subscriber((id) => `/hooks/ok/${id}`);
    failingSub = await subscriber((id) => `/hooks/failing/${id}`);

    // A member with canary values, then a signed update of the source: one member.updated to each subscriber.
    const member = syntheticMember(source.organizationId, {
      sourceRef: `src-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(Date.UTC(2026, 10, 1, 1)).toISOString(),
    });
    const familyName = `Zq${randomBytes(6).toString('hex')}canary`;
    const { governmentId, contact } = member as { governmentId: { ssn: string }; contact: { email: string } };
    canaries = [familyName, governmentId.ssn, contact.email];
    memberId = await createMember(api, syncToken, {
      ...member,
      identity: { ...(member.identity as object), familyName },
    });
    const updated = await postSigned(api, syncToken, `/api/v1/members/${memberId}/updates`, {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(Date.UTC(2026, 10, 1, 2)).toISOString(),
      changes: { contact: { phone: `+1555${faker.string.numeric(7)}` } },
    });
    expect(updated.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await peer?.close();
  });

  it('refuses a scrape with no token, a wrong one, or a partner or admin bearer token (401 problem)', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}x`,
      `Bearer ${syncToken}`,
      `Bearer ${security.accessToken}`,
      `Bearer ${okSub.token}`,
    ]) {
      const refused = await scrape(authorization);
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.type).toBe('https://member-sync.dev/problems/unauthorized');
      expect(refused.text).not.toContain('msync_');
    }
  });

  it('answers Prometheus text to the scraper token, every line a sample, help or type', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(() => parseExposition(res.text)).not.toThrow();
    expect(res.text).toMatch(/^# TYPE msync_http_requests_total counter$/m);
    expect(res.text).toMatch(/^# TYPE msync_http_request_duration_seconds histogram$/m);
    expect(res.text).toMatch(/^# TYPE msync_delivery_outcomes_total counter$/m);
  });

  it('counts requests by route template: a member read under its template, a 404 as unmatched, never the path', async () => {
    const getMember = { method: 'GET', route: MEMBER_ROUTE, status_class: '2xx' };
    const unmatched = { method: 'GET', route: 'unmatched', status_class: '4xx' };
    const before = await samples();
    expect((await readMember()).status).toBe(200);
    const scan = await api.http().get(`/wp-admin/${memberId}/${scannerSegment}?ssn=${canaries[1]}`);
    expect(scan.status).toBe(404);
    const after = await samples();

    const delta = (name: string, labels: Record<string, string>) =>
      (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    expect(delta('msync_http_requests_total', getMember)).toBe(1);
    expect(delta('msync_http_requests_total', unmatched)).toBe(1);
    expect(delta('msync_http_request_duration_seconds_count', { method: 'GET', route: MEMBER_ROUTE })).toBe(
      1,
    );
    const buckets = after.filter(
      (s) =>
        s.name === 'msync_http_request_duration_seconds_bucket' &&
        s.labels.route === MEMBER_ROUTE &&
        s.labels.method === 'GET',
    );
    expect(buckets.map((s) => s.labels.le)).toContain('0.25');
    expect(buckets.find((s) => s.labels.le === '+Inf')?.value).toBe(
      valueOf(after, 'msync_http_request_duration_seconds_count', { method: 'GET', route: MEMBER_ROUTE }),
    );
    // The signed create and update, and the refused scrapes, under their own templates.
    expect(
      valueOf(after, 'msync_http_requests_total', {
        method: 'POST',
        route: '/api/v1/members/:memberId/updates',
        status_class: '2xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(after, 'msync_http_requests_total', { method: 'GET', route: '/metrics', status_class: '4xx' }),
    ).toBeGreaterThanOrEqual(5);

    const routes = new Set(after.filter((s) => s.name.startsWith('msync_http_')).map((s) => s.labels.route));
    for (const route of routes) {
      expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
      expect(route).not.toMatch(OPAQUE_ID);
      expect(route).not.toContain('?');
    }
    expect(routes).not.toContain(`/api/v1/members/${memberId}`);
  });

  it('counts delivery outcomes from the worker: one delivered, one retried and then dead-lettered', async () => {
    const final = await waitFor(
      samples,
      (s) =>
        valueOf(s, 'msync_delivery_outcomes_total', { outcome: 'dead_lettered' }) === 1 &&
        valueOf(s, 'msync_delivery_outcomes_total', { outcome: 'delivered' }) === 1,
    );
    expect(peer.received(okSub.path)).toHaveLength(1);
    expect(peer.received(failingSub.path)).toHaveLength(2);
    const outcomes = Object.fromEntries(
      DELIVERY_OUTCOME_LABELS.map((outcome) => [
        outcome,
        valueOf(final, 'msync_delivery_outcomes_total', { outcome }),
      ]),
    );
    expect(outcomes).toEqual({
      delivered: 1,
      retry_scheduled: 1,
      dead_lettered: 1,
      disabled_gone: 0,
      disabled_failing: 0,
      parked: 0,
      skipped: 0,
      error: 0,
    });
    expect(valueOf(final, 'msync_delivery_outcomes_up')).toBe(1);
    // Kept in one hash under the queues' hash tag, so it shares their slot on Redis Cluster.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const stored = await redis.hgetall(`{${api.config.redis.keyPrefix}}:metrics:delivery-outcomes`);
      expect(stored).toMatchObject({ delivered: '1', retry_scheduled: '1', dead_lettered: '1' });
    } finally {
      redis.disconnect();
    }
  });

  it('shows every queue by state, a paused queue, and the age of its oldest waiting job', async () => {
    const compliance = api.app.get(JobQueues).queue('compliance');
    await compliance.pause();
    // Stamped two minutes ago on BullMQ's (system) clock.
    await compliance.add(
      'rights.overdue-check',
      { reason: 'on_demand' },
      { jobId: 'metrics-probe', timestamp: Date.now() - 120_000 },
    );
    // A newer job queued behind it: the age must be the oldest one's, not the newest's.
    await compliance.add(
      'rights.overdue-check',
      { reason: 'on_demand' },
      { jobId: 'metrics-probe-newer', timestamp: Date.now() - 5_000 },
    );
    try {
      const s = await samples();
      for (const queue of QUEUE_NAMES) {
        for (const state of QUEUE_JOB_STATES)
          expect(valueOf(s, 'msync_queue_jobs', { queue, state })).toEqual(expect.any(Number));
        expect(valueOf(s, 'msync_queue_oldest_waiting_age_seconds', { queue })).toEqual(expect.any(Number));
      }
      // The dead letter is the deliveries queue's one failed job.
      expect(valueOf(s, 'msync_queue_jobs', { queue: 'deliveries', state: 'failed' })).toBe(1);
      expect(valueOf(s, 'msync_queue_paused', { queue: 'compliance' })).toBe(1);
      expect(valueOf(s, 'msync_queue_paused', { queue: 'deliveries' })).toBe(0);
      expect(
        valueOf(s, 'msync_queue_jobs', { queue: 'compliance', state: 'waiting' }),
      ).toBeGreaterThanOrEqual(1);
      const age = valueOf(s, 'msync_queue_oldest_waiting_age_seconds', { queue: 'compliance' })!;
      expect(age).toBeGreaterThanOrEqual(120);
      expect(age).toBeLessThan(180);
      expect(valueOf(s, 'msync_queues_up')).toBe(1);
      const queues = new Set(s.filter((x) => x.name.startsWith('msync_queue_')).map((x) => x.labels.queue));
      expect([...queues].sort()).toEqual([...QUEUE_NAMES].sort());
    } finally {
      await compliance.remove('metrics-probe');
      await compliance.remove('metrics-probe-newer');
      await compliance.resume();
    }
  });

  it('counts alerts by type and status, as the alert table holds them', async () => {
    for (let i = 0; i < 3; i += 1) {
      const refused = await api
        .http()
        .get(`/api/v1/members/${memberId}`)
        .set('authorization', 'Bearer not-a-token');
      expect(refused.status).toBe(401);
    }
    const stored = await sql<{ id: string }>(api, `select id from alert where type = 'auth_failures'`);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    const acknowledged = await adminPost(
      api,
      security.accessToken,
      `/api/v1/admin/alerts/${stored[0].id}/acknowledge`,
      {
        note: 'seen in the metrics suite',
      },
    );
    expect(acknowledged.status).toBe(200);

    const s = await samples();
    const rows = await sql<{ type: string; acknowledged: boolean; count: number }>(
      api,
      'select type, acknowledged_at is not null as acknowledged, count(*)::int as count from alert group by 1, 2',
    );
    for (const type of ALERT_TYPES)
      for (const status of ALERT_STATUSES) {
        const row = rows.find((r) => r.type === type && r.acknowledged === (status === 'acknowledged'));
        expect({ type, status, value: valueOf(s, 'msync_alerts', { type, status }) }).toEqual({
          type,
          status,
          value: row?.count ?? 0,
        });
      }
    expect(valueOf(s, 'msync_alerts', { type: 'auth_failures', status: 'acknowledged' })).toBe(1);
    expect(valueOf(s, 'msync_alerts', { type: 'auth_failures', status: 'open' })).toBe(stored.length - 1);
    expect(valueOf(s, 'msync_alerts_up')).toBe(1);
  });

  it('measures the chain head and the newest signed checkpoint, ignoring a checkpoint row inserted by hand', async () => {
    const headSeq = async () =>
      Number((await sql<{ seq: string }>(api, 'select seq from audit_chain_head'))[0].seq);
    const checkpoint = await api.app.get(CheckpointsService).checkpointHead();
    expect(checkpoint).not.toBeNull();
    clock.advance(30_000);

    let s = await samples();
    expect(valueOf(s, 'msync_audit_checkpoint_age_seconds')).toBe(30);
    expect(valueOf(s, 'msync_audit_chain_head_age_seconds')).toBeGreaterThanOrEqual(30);
    expect(valueOf(s, 'msync_audit_events_since_checkpoint')).toBe((await headSeq()) - checkpoint!.seq);

    // Two audited reads: the head moves on, the checkpoint stays where it was.
    expect((await readMember()).status).toBe(200);
    expect((await readMember()).status).toBe(200);
    const head = await headSeq();
    expect(head).toBeGreaterThanOrEqual(checkpoint!.seq + 2);
    // A row anyone with the application role could insert: a fresh time, but no valid signature.
    await sql(
      api,
      `insert into audit_checkpoint (seq, hash, created_at, key_id, signature) values ($1, decode(repeat('ab', 32), 'hex'), $2, $3, $4)`,
      [head, clock.now(), checkpoint!.keyId, randomBytes(64).toString('base64')],
    );
    clock.advance(12_000);
    s = await samples();
    expect(valueOf(s, 'msync_audit_chain_head_age_seconds')).toBe(12);
    expect(valueOf(s, 'msync_audit_checkpoint_age_seconds')).toBe(42);
    expect(valueOf(s, 'msync_audit_events_since_checkpoint')).toBe(head - checkpoint!.seq);
    expect(valueOf(s, 'msync_audit_up')).toBe(1);
  });

  it('holds no member value, member id, token or raw path (canary scan with positive controls)', async () => {
    // Positive controls: the canaries are stored and served where they belong, and the scanner's
    // request carrying the id, a canary segment and the ssn did reach the service (its 404 was counted above).
    const read = await readMember();
    expect(read.status).toBe(200);
    for (const canary of canaries) expect(JSON.stringify(read.body)).toContain(canary);
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    const text = res.text;
    expect(text).toContain(okSub.id);
    expect(text).toContain('route="unmatched"');

    for (const canary of canaries) expect(text).not.toContain(canary);
    for (const secret of [METRICS_TOKEN, syncToken, security.accessToken, okSub.token, failingSub.token])
      expect(text).not.toContain(secret);
    for (const value of [
      memberId,
      memberId.slice(4),
      scannerSegment,
      'wp-admin',
      source.organizationId,
      source.partnerId,
      '127.0.0.1',
      '/hooks/',
    ])
      expect(text).not.toContain(value);
  });
});
