import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import Redis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { JobQueues, ManualClock, type DataCategory } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { sql, type AdminSession, type PartnerSetup } from './support/identity-fixtures';
import { createMember, postSigned, syntheticMember } from './support/member-fixtures';
import {
  startHttpsReceiver,
  waitFor,
  type HttpsReceiver,
  type Responder,
  loopbackDeliveryEnv,
} from './support/https-receiver';
import { TEST_REDIS_URL } from './support/services';
import { subscribePartner } from './support/subscription-fixtures';
import { setupSourcePartner } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(6262);

/** Four attempts, a second apart (DELIVERY_RETRY_SCHEDULE_SECONDS). */
const SCHEDULE = '0,1,1,1';
const ATTEMPTS = 4;
/** An endpoint failing this long (on the suite's manual clock) is disabled. */
const FAILING_WINDOW_S = 3600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const phone = () => `+1555${faker.string.numeric(7)}`;

describe('deliveries: member changes reach partner subscriptions, signed, projected, retried', () => {
  const clock = new ManualClock(Date.now());
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let officer: AdminSession;
  let security: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let minute = 0;

  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    api = await startTestApi({
      clock,
      env: {
        ...loopbackDeliveryEnv(SCHEDULE),
        DELIVERY_DISABLE_AFTER_FAILING_SECONDS: String(FAILING_WINDOW_S),
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    ({
      officer,
      security,
      source,
      token: syncToken,
    } = await setupSourcePartner(api, clock, ['sync:write', 'members:read', 'members:write']));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
  });

  /** A benefits admin seeing the source's organization, subscribed to `events` at its own receiver path. */
  async function subscriber(
    options: { categories?: DataCategory[]; events?: string[]; respond?: Responder } = {},
  ) {
    const sub = await subscribePartner(api, {
      officerToken: officer.accessToken,
      securityToken: security.accessToken,
      sourceOrganizationId: source.organizationId,
      receiverPort: receiver.port,
      categories: options.categories ?? ['identity', 'membership', 'contact'],
      scopes: ['subscriptions:manage', 'members:read', 'members.preferences:write'],
      events: options.events ?? ['member.updated'],
    });
    if (options.respond) receiver.respond(sub.path, options.respond);
    return sub;
  }

  /** A member created by the source, then its phone changed by the source: one member.updated. */
  async function memberUpdated(): Promise<{ id: string; newPhone: string }> {
    minute += 2;
    const at = (m: number) => new Date(Date.UTC(2026, 10, 1, 0, m)).toISOString();
    const id = await createMember(
      api,
      syncToken,
      syntheticMember(source.organizationId, {
        sourceRef: `src-${faker.string.alphanumeric(16)}`,
        occurredAt: at(minute),
      }),
    );
    const newPhone = phone();
    const res = await postSigned(api, syncToken, `/api/v1/members/${id}/updates`, {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: at(minute + 1),
      changes: { contact: { phone: newPhone } },
    });
    if (res.status !== 200) throw new Error(`update: ${res.status} ${res.text}`);
    return { id, newPhone };
  }

  const deadLetters = async () =>
    (
      await api
        .http()
        .get('/api/v1/admin/deliveries/dead-letters')
        .set('authorization', `Bearer ${security.accessToken}`)
    ).body as { data: Array<{ id: string; subscriptionId: string; attempts: number; lastOutcome: string }> };

  it('delivers a member update signed over the exact bytes, projected to the partner, as a disclosure', async () => {
    const sub = await subscriber({ categories: ['identity', 'contact'] });
    const { id, newPhone } = await memberUpdated();

    const [delivery] = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    expect(delivery).toBeDefined();
    const verified = new Webhook(sub.secret).verify(
      delivery.body.toString('utf8'),
      delivery.headers,
    ) as Record<string, unknown>;
    expect(verified).toMatchObject({ type: 'member.updated', memberId: id, version: 2 });
    const data = verified.data as Record<string, unknown>;
    expect(data.contact).toMatchObject({ phone: newPhone });
    expect(data.identity).toBeDefined();
    // Registered for identity and contact only: coverage and the rest never leave.
    expect(data.coverage).toBeUndefined();
    expect(data.governmentId).toBeUndefined();
    expect(Object.keys(verified).sort()).toEqual(['data', 'memberId', 'occurredAt', 'type', 'version']);

    const audited = await waitFor(
      () =>
        sql<{ categories: string[]; partner_id: string }>(
          api,
          `select categories, partner_id from audit_event
            where action = 'member.deliver' and outcome = 'success' and $1 = any(resource_ids)`,
          [id],
        ),
      (rows) => rows.length > 0,
    );
    expect(audited).toEqual([{ categories: ['identity', 'contact'], partner_id: sub.partnerId }]);

    const disclosures = await api
      .http()
      .get(`/api/v1/admin/members/${id}/disclosures`)
      .set('authorization', `Bearer ${officer.accessToken}`);
    expect(disclosures.status).toBe(200);
    const entries = (disclosures.body.data ?? disclosures.body) as Array<{
      partnerId: string;
      categories: string[];
    }>;
    expect(entries.filter((e) => e.partnerId === sub.partnerId).map((e) => e.categories)).toContainEqual([
      'identity',
      'contact',
    ]);
  });

  it('retries an endpoint that fails three times, with the same webhook-id, until it succeeds', async () => {
    const sub = await subscriber({ respond: (n) => ({ status: n <= 3 ? 503 : 200 }) });
    const { id } = await memberUpdated();

    const received = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 4,
    );
    expect(received).toHaveLength(4);
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const last = new Webhook(sub.secret).verify(received[3].body.toString('utf8'), received[3].headers);
    expect(last).toMatchObject({ memberId: id });
    await sleep(1500);
    expect(receiver.received(sub.path)).toHaveLength(4);
    expect((await deadLetters()).data.filter((d) => d.subscriptionId === sub.subscriptionId)).toEqual([]);
  });

  it('dead-letters a delivery that always fails after the configured attempts, and a replay delivers it', async () => {
    let failing = true;
    const sub = await subscriber({ respond: () => ({ status: failing ? 503 : 200 }) });
    await memberUpdated();

    const listed = await waitFor(
      async () => (await deadLetters()).data.filter((d) => d.subscriptionId === sub.subscriptionId),
      (d) => d.length > 0,
    );
    expect(listed).toEqual([expect.objectContaining({ attempts: ATTEMPTS, lastOutcome: 'status_503' })]);
    expect(receiver.received(sub.path)).toHaveLength(ATTEMPTS);

    const forbidden = await api
      .http()
      .post(`/api/v1/admin/deliveries/dead-letters/${listed[0].id}/replay`)
      .set('authorization', `Bearer ${officer.accessToken}`)
      .send({});
    expect(forbidden.status).toBe(403);

    failing = false;
    const replay = await api
      .http()
      .post(`/api/v1/admin/deliveries/dead-letters/${listed[0].id}/replay`)
      .set('authorization', `Bearer ${security.accessToken}`)
      .send({});
    expect(replay.status).toBe(202);
    const received = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length > ATTEMPTS,
    );
    expect(received).toHaveLength(ATTEMPTS + 1);
    expect(received[ATTEMPTS].headers['webhook-id']).toBe(received[0].headers['webhook-id']);
    const after = await waitFor(
      async () => (await deadLetters()).data.filter((d) => d.subscriptionId === sub.subscriptionId),
      (d) => d.length === 0,
    );
    expect(after).toEqual([]);
    const audits = await sql(
      api,
      `select 1 from audit_event where action = 'delivery.replay' and $1 = any(resource_ids)`,
      [listed[0].id],
    );
    expect(audits).toHaveLength(1);
  });

  it('disables a subscription whose endpoint answers 410 Gone, without retrying', async () => {
    const sub = await subscriber({ respond: () => ({ status: 410 }) });
    await memberUpdated();

    const rows = await waitFor(
      () =>
        sql<{ status: string; disabled_reason: string | null }>(
          api,
          'select status, disabled_reason from webhook_subscription where id = $1',
          [sub.subscriptionId],
        ),
      (r) => r[0]?.status === 'disabled',
    );
    expect(rows).toEqual([{ status: 'disabled', disabled_reason: 'gone' }]);
    await sleep(1500);
    expect(receiver.received(sub.path)).toHaveLength(1);
  });

  it('checks the BAA at delivery time: a BAA that lapses while a delivery waits stops it', async () => {
    // The first attempt fails and asks for 4 s; the BAA lapses in between.
    const sub = await subscriber({
      respond: (n) => (n === 1 ? { status: 503, headers: { 'retry-after': '4' } } : { status: 200 }),
    });
    const { id } = await memberUpdated();
    await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    await sql(api, `update vendor set baa_expires_at = date '2026-01-03' where id = $1`, [sub.vendorId]);
    clock.advance(31_000); // past the vendor cache

    const denied = await waitFor(
      () =>
        sql<{ reason: string }>(
          api,
          `select reason from audit_event
            where action = 'member.deliver' and outcome = 'denied' and partner_id = $1 and $2 = any(resource_ids)`,
          [sub.partnerId, id],
        ),
      (rows) => rows.length > 0,
    );
    expect(denied).toEqual([{ reason: 'baa_not_in_effect' }]);
    expect(receiver.received(sub.path)).toHaveLength(1);
  });

  it('never echoes a change to the partner that made it, while another subscriber receives it', async () => {
    const other = await subscriber();
    const sender = await subscriber({ categories: ['identity', 'membership', 'preferences'] });
    const { id } = await memberUpdated();
    await waitFor(
      () => receiver.received(other.path),
      (r) => r.length >= 1,
    );
    // The source's own update reaches both subscribers.
    await waitFor(
      () => receiver.received(sender.path),
      (r) => r.length >= 1,
    );

    const read = await api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${sender.token}`);
    expect(read.status).toBe(200);
    const changed = await api
      .http()
      .put(`/api/v1/members/${id}/preferences`)
      .set('authorization', `Bearer ${sender.token}`)
      .set('if-match', read.headers.etag)
      .send({ channel: 'sms', language: 'es', marketingOptIn: true });
    expect(changed.status).toBe(200);

    const toOther = await waitFor(
      () => receiver.received(other.path),
      (r) => r.length >= 2,
    );
    expect(toOther.map((r) => (JSON.parse(r.body.toString('utf8')) as { version: number }).version)).toEqual([
      2, 3,
    ]);
    await sleep(1000);
    expect(receiver.received(sender.path)).toHaveLength(1);
  });

  it('holds no ePHI in the deliveries queue (canary scan with a positive control)', async () => {
    const canary = `Zq${randomBytes(8).toString('hex')}canary`;
    const sub = await subscriber();
    const id = await createMember(
      api,
      syncToken,
      syntheticMember(source.organizationId, {
        sourceRef: `src-${faker.string.alphanumeric(16)}`,
        occurredAt: new Date(Date.UTC(2026, 10, 1, 1)).toISOString(),
        identity: { ...syntheticMember(source.organizationId).identity, familyName: canary },
      }),
    );
    const res = await postSigned(api, syncToken, `/api/v1/members/${id}/updates`, {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(Date.UTC(2026, 10, 1, 2)).toISOString(),
      changes: { contact: { phone: phone() } },
    });
    expect(res.status).toBe(200);
    const [delivery] = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    // Positive control: the canary did leave, in the delivery body, to the partner allowed to see it.
    expect(delivery.body.toString('utf8')).toContain(canary);

    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`{${api.config.redis.keyPrefix}}:deliveries:*`);
      let dump = keys.join('\n');
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key));
        else if (type === 'list') dump += (await redis.lrange(key, 0, -1)).join('\n');
        else if (type === 'zset') dump += (await redis.zrange(key, '0', '-1')).join('\n');
        else if (type === 'string') dump += await redis.get(key);
        else if (type === 'stream') dump += JSON.stringify(await redis.xrange(key, '-', '+'));
      }
      expect(dump).toContain(id);
      expect(dump).toContain(sub.subscriptionId);
      expect(dump).not.toContain(canary);
    } finally {
      redis.disconnect();
    }
  });

  // Last: it moves the manual clock an hour on, past admin tokens and signature tolerance.
  it('disables an endpoint that has failed for the configured window, without a dead letter, and raises an alert', async () => {
    const sub = await subscriber({ respond: () => ({ status: 503, headers: { 'retry-after': '3' } }) });
    await memberUpdated();
    await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    await sleep(500); // the first failure is recorded at the clock's current time
    clock.advance(FAILING_WINDOW_S * 1000 + 1000);

    const rows = await waitFor(
      () =>
        sql<{ status: string; disabled_reason: string | null }>(
          api,
          'select status, disabled_reason from webhook_subscription where id = $1',
          [sub.subscriptionId],
        ),
      (r) => r[0]?.status === 'disabled',
    );
    expect(rows).toEqual([{ status: 'disabled', disabled_reason: 'failing' }]);
    expect(receiver.received(sub.path)).toHaveLength(2);
    const audited = await sql<{ reason: string }>(
      api,
      `select reason from audit_event where action = 'webhook_subscription.disable' and $1 = any(resource_ids)`,
      [sub.subscriptionId],
    );
    expect(audited).toEqual([{ reason: 'failing' }]);
    // ... and raised an alert naming the subscription (ids only, no member, no URL).
    const alerts = await sql<{ severity: string; details: Record<string, unknown> }>(
      api,
      `select severity, details from alert where type = 'webhook_endpoint_disabled' and subject = $1`,
      [`subscription:${sub.subscriptionId}`],
    );
    expect(alerts).toEqual([
      {
        severity: 'medium',
        details: { partnerId: sub.partnerId, reason: 'failing', failingForSeconds: expect.any(Number) },
      },
    ]);
    const failed = await api.app.get(JobQueues).queue('deliveries').getFailed();
    expect(failed.filter((job) => job.id?.includes(sub.subscriptionId))).toEqual([]);
  });
});
