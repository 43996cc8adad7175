import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { ManualClock } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import {
  adminPost,
  loginAdmin,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { waitFor, loopbackDeliveryEnv } from './support/https-receiver';
import { TEST_TLS_DIR } from './support/services';
import { PUBLIC_SUBSCRIPTION_URL as PUBLIC_URL, subscribePartner } from './support/subscription-fixtures';
import { setupSourcePartner } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';
import { parseExposition, valueOf } from './support/prometheus';

faker.seed(5151);

const METRICS_TOKEN = `mt_${randomBytes(24).toString('hex')}`;
const FEED_TOKEN = `feed-${randomBytes(12).toString('hex')}`;
/** Two attempts, the second about 4 s after the first: long enough to see a delivery waiting. */
const SCHEDULE = '0,4';

/**
 * One HTTPS server on 127.0.0.1 standing in for a membership system's change feed (empty, read to
 * its end in one page) and for partners' webhook endpoints (`/hooks/ok/...` answer 204, others 503).
 */
async function startLoopbackPeer() {
  const hooks = new Map<string, number>();
  const server: Server = createServer({
    cert: readFileSync(join(TEST_TLS_DIR, 'cert.pem')),
    key: readFileSync(join(TEST_TLS_DIR, 'key.pem')),
  });
  server.on('request', (req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/feed') {
        if (req.headers.authorization !== `Bearer ${FEED_TOKEN}`) return res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ data: [], nextCursor: 'feed-end-1', hasMore: false }));
      }
      hooks.set(path, (hooks.get(path) ?? 0) + 1);
      res.writeHead(path.startsWith('/hooks/ok/') ? 204 : 503).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits: (path: string) => hooks.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The value of one sample in Prometheus text, matched on its name and exact label set; undefined when absent. */
const sampleOf = (text: string, name: string, labels: Record<string, string>) =>
  valueOf(parseExposition(text), name, labels);

interface SubscriptionStatus {
  status: string;
  disabledReason: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lagSeconds: number;
  pendingDeliveries: number;
  deadLetters: number;
  consecutiveFailures: number;
  failingSince: string | null;
}

describe('sync health: per source and per subscription, in the API and in /metrics', () => {
  const clock = new ManualClock(Date.now());
  let peer: Awaited<ReturnType<typeof startLoopbackPeer>>;
  let api: TestApi;
  let worker: INestApplicationContext;
  let security: AdminSession;
  let operator: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let sourceId: string;
  let okSub: { id: string; token: string; path: string };
  let failingSub: { id: string; token: string; path: string };
  let memberId: string;
  let canaries: string[];
  let updatedAtMs: number;

  const scrape = (authorization?: string) => {
    const call = api.http().get('/metrics');
    return authorization === undefined ? call : call.set('authorization', authorization);
  };
  const subscriptionStatus = (id: string, token = security.accessToken) =>
    api
      .http()
      .get(`/api/v1/admin/webhook-subscriptions/${id}/status`)
      .set('authorization', `Bearer ${token}`);

  /** A benefits admin seeing the source's organization, subscribed to member.updated at `path` on the peer. */
  async function subscriber(officer: string, path: (id: string) => string) {
    const sub = await subscribePartner(api, {
      officerToken: officer,
      securityToken: security.accessToken,
      sourceOrganizationId: source.organizationId,
      receiverPort: peer.port,
      categories: ['identity', 'contact'],
      scopes: ['subscriptions:manage', 'members:read'],
      events: ['member.updated'],
      path,
    });
    return { id: sub.subscriptionId, token: sub.token, path: sub.path };
  }

  beforeAll(async () => {
    peer = await startLoopbackPeer();
    // The token from a file, as a mounted secret would be (with the trailing line break editors add).
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'msync-metrics-')), 'token');
    writeFileSync(tokenFile, `${METRICS_TOKEN}\n`, { mode: 0o600 });
    api = await startTestApi({
      clock,
      env: {
        METRICS_TOKEN_FILE: tokenFile,
        ...loopbackDeliveryEnv(SCHEDULE),
        DELIVERY_DISABLE_AFTER_FAILING_SECONDS: '86400',
        // The waits below poll the status route every 100 ms.
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    const setup = await setupSourcePartner(api, clock, ['sync:write', 'members:read']);
    ({ security, source, token: syncToken } = setup);
    const officer = setup.officer.accessToken;
    operator = await loginAdmin(api, clock, 'operator');

    // A source through the admin route; its schedule's first run reads the (empty) feed to its end.
    const created = await adminPost(api, security.accessToken, '/api/v1/admin/sources', {
      partnerId: source.partnerId,
      changeFeedUrl: `https://127.0.0.1:${peer.port}/feed`,
      pollIntervalSeconds: 86_400,
      bearerToken: FEED_TOKEN,
    });
    expect(created.status).toBe(201);
    sourceId = created.body.id as string;
    const polled = await waitFor(
      async () =>
        (
          await api
            .http()
            .get(`/api/v1/admin/sources/${sourceId}/status`)
            .set('authorization', `Bearer ${security.accessToken}`)
        ).body as { status: string },
      (body) => body.status === 'done',
    );
    expect(polled.status).toBe('done');

    okSub = await subscriber(officer, (id) => `/hooks/ok/${id}`);
    failingSub = await subscriber(officer, (id) => `/hooks/failing/${id}`);

    // A member with canary values, created and then updated by the source: one member.updated to both.
    canaries = [`Zq${randomBytes(6).toString('hex')}canary`, `+1555${faker.string.numeric(7)}`];
    const member = syntheticMember(source.organizationId, {
      sourceRef: `src-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(Date.UTC(2026, 10, 1, 1)).toISOString(),
    });
    memberId = await createMember(api, syncToken, {
      ...member,
      identity: { ...(member.identity as object), familyName: canaries[0] },
    });
    updatedAtMs = clock.nowMs();
    const updated = await postSigned(api, syncToken, `/api/v1/members/${memberId}/updates`, {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(Date.UTC(2026, 10, 1, 2)).toISOString(),
      changes: { contact: { phone: canaries[1] } },
    });
    expect(updated.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await peer?.close();
  });

  it('shows a failing subscription waiting for its retry: one pending change, its age as lag, the failing run', async () => {
    const waiting = await waitFor(
      async () => (await subscriptionStatus(failingSub.id)).body as SubscriptionStatus,
      (body) => body.consecutiveFailures === 1 && body.pendingDeliveries === 1,
    );
    // The change was committed at `updatedAtMs` on the suite's clock; move that clock on 90 s.
    clock.advance(90_000);
    const status = await subscriptionStatus(failingSub.id);
    expect(status.status).toBe(200);
    expect(status.body).toEqual({
      status: 'active',
      disabledReason: null,
      parkedDeliveries: 0,
      lastSuccessAt: null,
      lastFailureAt: waiting.failingSince,
      lagSeconds: Math.floor((clock.nowMs() - updatedAtMs) / 1000),
      pendingDeliveries: 1,
      deadLetters: 0,
      consecutiveFailures: 1,
      failingSince: expect.any(String),
    });
    expect(status.body.lagSeconds).toBeGreaterThanOrEqual(90);
  });

  it('answers the right values after the delivery is dead-lettered, for any admin role', async () => {
    const dead = await waitFor(
      async () => (await subscriptionStatus(failingSub.id)).body as SubscriptionStatus,
      (body) => body.deadLetters === 1,
    );
    expect(dead).toEqual({
      status: 'active',
      disabledReason: null,
      parkedDeliveries: 0,
      lastSuccessAt: null,
      lastFailureAt: expect.any(String),
      lagSeconds: 0,
      pendingDeliveries: 0,
      deadLetters: 1,
      consecutiveFailures: 2,
      failingSince: expect.any(String),
    });
    expect(peer.hits(failingSub.path)).toBe(2);
    // The same dead letter as the operators' list shows.
    const listed = await api
      .http()
      .get('/api/v1/admin/deliveries/dead-letters')
      .set('authorization', `Bearer ${security.accessToken}`);
    expect(
      (listed.body.data as Array<{ subscriptionId: string }>).filter(
        (d) => d.subscriptionId === failingSub.id,
      ),
    ).toHaveLength(1);

    const ok = await waitFor(
      async () => (await subscriptionStatus(okSub.id, operator.accessToken)).body as SubscriptionStatus,
      (body) => body.lastSuccessAt !== null,
    );
    expect(ok).toEqual({
      status: 'active',
      disabledReason: null,
      parkedDeliveries: 0,
      lastSuccessAt: expect.any(String),
      lastFailureAt: null,
      lagSeconds: 0,
      pendingDeliveries: 0,
      deadLetters: 0,
      consecutiveFailures: 0,
      failingSince: null,
    });
    expect(peer.hits(okSub.path)).toBe(1);
  });

  it('refuses the subscription status route to a partner token, and answers 404 for an unknown id', async () => {
    const partner = await subscriptionStatus(failingSub.id, failingSub.token);
    expect(partner.status).toBe(403);
    expect(partner.text).not.toContain('consecutiveFailures');
    const unknown = await subscriptionStatus(`sub_${'0'.repeat(26)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    const malformed = await subscriptionStatus('sub_not-an-id');
    expect(malformed.status).toBe(400);
  });

  it("shows a partner its own subscriptions' health in its list, and none of another partner's", async () => {
    const list = await api
      .http()
      .get('/api/v1/webhook-subscriptions')
      .set('authorization', `Bearer ${failingSub.token}`);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({
        id: failingSub.id,
        status: 'active',
        health: {
          lastSuccessAt: null,
          lastFailureAt: expect.any(String),
          lagSeconds: 0,
          pendingDeliveries: 0,
          deadLetters: 1,
          consecutiveFailures: 2,
          failingSince: expect.any(String),
        },
      }),
    ]);
    expect(list.text).not.toContain(okSub.id);
  });

  it('refuses /metrics without a token or with a wrong one (401 problem), and serves it only at the root', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}x`,
      `Bearer ${security.accessToken}`,
      METRICS_TOKEN,
    ]) {
      const refused = await scrape(authorization);
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.type).toBe('https://member-sync.dev/problems/unauthorized');
      expect(refused.text).not.toContain('msync_');
    }
    const versioned = await api.http().get('/api/v1/metrics').set('authorization', `Bearer ${METRICS_TOKEN}`);
    expect(versioned.status).toBe(404);
  });

  it('audits a refused scrape but not a successful one (a scrape reads no ePHI; refusals are security events)', async () => {
    const scrapes = async () =>
      (
        await sql<{ outcome: string; status_code: number }>(
          api,
          `select outcome, status_code from audit_event where route = '/metrics'`,
        )
      ).map((row) => `${row.outcome}:${row.status_code}`);
    const before = await scrapes();
    expect((await scrape(`Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    expect((await scrape('Bearer wrong-token')).status).toBe(401);
    const after = await scrapes();
    expect(after.filter((s) => s.startsWith('success')).length).toBe(
      before.filter((s) => s.startsWith('success')).length,
    );
    expect(after.filter((s) => s === 'failure:401').length).toBe(
      before.filter((s) => s === 'failure:401').length + 1,
    );
  });

  it('serves the sync health series with the right values for the source and the subscriptions', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.text;

    const sourceStatus = await api
      .http()
      .get(`/api/v1/admin/sources/${sourceId}/status`)
      .set('authorization', `Bearer ${security.accessToken}`);
    const lastSuccessMs = Date.parse(sourceStatus.body.lastSuccessAt as string);
    expect(sampleOf(text, 'msync_sync_source_status', { source_id: sourceId, status: 'done' })).toBe(1);
    for (const status of ['syncing', 'failed', 'paused'])
      expect(sampleOf(text, 'msync_sync_source_status', { source_id: sourceId, status })).toBe(0);
    expect(sampleOf(text, 'msync_sync_source_last_success_timestamp_seconds', { source_id: sourceId })).toBe(
      lastSuccessMs / 1000,
    );
    expect(sampleOf(text, 'msync_sync_source_lag_seconds', { source_id: sourceId })).toBe(
      Math.floor((clock.nowMs() - lastSuccessMs) / 1000),
    );
    expect(sampleOf(text, 'msync_sync_source_lag_seconds', { source_id: sourceId })).toBe(
      sourceStatus.body.lagSeconds,
    );
    expect(sampleOf(text, 'msync_reconciliation_cases_open', { source_id: sourceId })).toBe(0);

    const failing = { subscription_id: failingSub.id };
    expect(sampleOf(text, 'msync_webhook_subscription_active', failing)).toBe(1);
    expect(sampleOf(text, 'msync_delivery_dead_letters', failing)).toBe(1);
    expect(sampleOf(text, 'msync_webhook_subscription_lag_seconds', failing)).toBe(0);
    expect(sampleOf(text, 'msync_webhook_subscription_pending_deliveries', failing)).toBe(0);
    expect(
      sampleOf(text, 'msync_webhook_subscription_last_success_timestamp_seconds', failing),
    ).toBeUndefined();

    const ok = { subscription_id: okSub.id };
    const okStatus = (await subscriptionStatus(okSub.id)).body as SubscriptionStatus;
    expect(sampleOf(text, 'msync_webhook_subscription_active', ok)).toBe(1);
    expect(sampleOf(text, 'msync_delivery_dead_letters', ok)).toBe(0);
    expect(sampleOf(text, 'msync_webhook_subscription_last_success_timestamp_seconds', ok)).toBe(
      Date.parse(okStatus.lastSuccessAt!) / 1000,
    );
    expect(sampleOf(text, 'msync_sync_health_up', {})).toBe(1);
    // Node's process metrics are there too.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('shows a subscription disabled by its endpoint as inactive, and leaves out one its partner deleted', async () => {
    await sql(
      api,
      `update webhook_subscription set status = 'disabled', disabled_reason = 'gone', disabled_at = now() where id = $1`,
      [okSub.id],
    );
    const deleted = await api
      .http()
      .delete(`/api/v1/webhook-subscriptions/${failingSub.id}`)
      .set('authorization', `Bearer ${failingSub.token}`)
      .set('idempotency-key', `del-${randomBytes(6).toString('hex')}`);
    expect(deleted.status).toBe(204);

    const text = (await scrape(`Bearer ${METRICS_TOKEN}`)).text;
    expect(sampleOf(text, 'msync_webhook_subscription_active', { subscription_id: okSub.id })).toBe(0);
    expect(text).not.toContain(failingSub.id);
    const status = await subscriptionStatus(okSub.id);
    expect(status.body).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
    // An admin still sees a deleted subscription's status.
    expect((await subscriptionStatus(failingSub.id)).body).toMatchObject({
      status: 'disabled',
      disabledReason: 'deleted',
      deadLetters: 1,
    });
  });

  it('holds no member value in /metrics or the status answers (canary scan with a positive control)', async () => {
    // Positive control: the canaries are stored and readable where they belong.
    const read = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .set('authorization', `Bearer ${syncToken}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).toContain(canaries[0]);

    const text = (await scrape(`Bearer ${METRICS_TOKEN}`)).text;
    const statuses = JSON.stringify([
      (await subscriptionStatus(okSub.id)).body,
      (await subscriptionStatus(failingSub.id)).body,
    ]);
    expect(text).toContain(sourceId);
    expect(text).toContain(okSub.id);
    for (const canary of canaries) {
      expect(text).not.toContain(canary);
      expect(statuses).not.toContain(canary);
    }
    for (const id of [memberId, source.organizationId, source.partnerId, PUBLIC_URL, '127.0.0.1'])
      expect(text).not.toContain(id);
  });
});

describe('/metrics without a configured token', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('answers 404 like a route that does not exist, whatever token is sent', async () => {
    const unknown = await api.http().get('/no-such-route');
    for (const authorization of [undefined, `Bearer ${METRICS_TOKEN}`]) {
      const call = api.http().get('/metrics');
      const res = await (authorization ? call.set('authorization', authorization) : call);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const { instance: _instance, requestId: _requestId, ...problem } = res.body as Record<string, unknown>;
      const { instance: _i, requestId: _r, ...unknownProblem } = unknown.body as Record<string, unknown>;
      expect(problem).toEqual(unknownProblem);
      expect(res.text).not.toContain('msync_');
    }
  });
});
