import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { ManualClock } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { sql, type AdminSession, type PartnerSetup } from './support/identity-fixtures';
import { createMember, postSigned, syntheticMember } from './support/member-fixtures';
import {
  startHttpsReceiver,
  type HttpsReceiver,
  type ReceivedRequest,
  type ReceiverAnswer,
  loopbackDeliveryEnv,
} from './support/https-receiver';
import { subscribePartner } from './support/subscription-fixtures';
import { setupSourcePartner } from './support/sync-fixtures';
import { freePort, startTestApi, type TestApi } from './support/test-app';

faker.seed(7373);

/** Member changes made through the API while deliveries run; the crash comes a third of the way in. */
const CHANGES = 180;
const CRASH_AFTER = 60;
/** Changes sent while Redis is down. */
const OUTAGE_CHANGES = 6;
const OUTAGE_MS = 4_000;
/** Short delays, many attempts: a delivery refused once by the receiver is retried within seconds. */
const SCHEDULE = '0,1,1,2,2,3,3,5,5,5';
const T0 = Date.UTC(2026, 10, 2, 8);
const RECEIVER_LATENCY_MS = 100;

/**
 * This suite's own Redis, persistent as production must be (AOF, fsync on every write), so a crash
 * loses nothing Redis acknowledged. The shared Redis on 6379 is never touched.
 */
class CrashableRedis {
  private process?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'msync-redis-restart-'));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    args.push('--appendonly', 'yes', '--appendfsync', 'always', '--save', '');
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      for (let i = 0; ; i += 1) {
        try {
          await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch (error) {
          if (i >= 100) throw error;
          await sleep(50);
        }
      }
    } finally {
      probe.disconnect();
    }
  }

  /** A crash: SIGKILL, no shutdown, no final fsync beyond what `appendfsync always` already did. */
  async crash(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async remove(): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Refuses the first attempt of one delivery in eight (a real retry, with its own webhook-id); 204 otherwise. */
function refuseFirstAttempts(_path: string, received: readonly ReceivedRequest[]): ReceiverAnswer {
  const { webhookId } = received[received.length - 1];
  const before = received.filter((r) => r.webhookId === webhookId).length - 1;
  const refuse = before === 0 && createHash('sha256').update(webhookId).digest()[0] % 8 === 0;
  return { status: refuse ? 503 : 204 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await sleep(200);
    value = await probe();
  }
  return value;
}

/** Runs `work` over `items`, `width` at a time, in order of start. */
async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

describe('deliveries across a Redis crash: every change reaches every subscription, none is lost', () => {
  const clock = new ManualClock(Date.now());
  let redis: CrashableRedis;
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let officer: AdminSession;
  let security: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  const subscriptions: Array<{ id: string; path: string; secret: string }> = [];
  let members: string[] = [];
  let outageMembers: string[] = [];
  const outage: Array<{ status?: number; type?: string; retryAfter?: string; ms: number; error?: string }> =
    [];
  let outageRead: { status: number; type?: string; retryAfter?: string } | undefined;
  let outageCommitted = -1;
  let receivedAtCrash = 0;

  beforeAll(async () => {
    redis = new CrashableRedis(await freePort());
    await redis.start();
    // Latency keeps several attempts in flight (sent, not yet answered) when Redis goes down.
    receiver = await startHttpsReceiver({ answer: refuseFirstAttempts, latencyMs: RECEIVER_LATENCY_MS });
    api = await startTestApi({
      clock,
      env: {
        REDIS_URL: redis.url,
        ...loopbackDeliveryEnv(SCHEDULE),
        DELIVERY_CONCURRENCY: '8',
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
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
    for (let i = 0; i < 2; i += 1) subscriptions.push(await subscribe());
    // Created before the run: the subscriptions take member.updated only, so creations send nothing.
    const created = await inParallel([...Array<number>(CHANGES + OUTAGE_CHANGES).keys()], 6, (i) =>
      createMember(
        api,
        syncToken,
        syntheticMember(source.organizationId, {
          sourceRef: `src-redis-${i}-${faker.string.alphanumeric(10)}`,
          occurredAt: new Date(T0).toISOString(),
        }),
      ),
    );
    members = created.slice(0, CHANGES);
    outageMembers = created.slice(CHANGES);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
    await redis?.remove();
  }, 60_000);

  /** A benefits admin seeing the source's organization, subscribed to member.updated at its own path. */
  async function subscribe() {
    const sub = await subscribePartner(api, {
      officerToken: officer.accessToken,
      securityToken: security.accessToken,
      sourceOrganizationId: source.organizationId,
      receiverPort: receiver.port,
      categories: ['identity', 'contact'],
      scopes: ['subscriptions:manage', 'members:read'],
      events: ['member.updated'],
    });
    return { id: sub.subscriptionId, path: sub.path, secret: sub.secret };
  }

  /** One signed phone change by the source (one member.updated, version 2); the same body on a retry. */
  const bodies = new Map<string, object>();
  const changePhone = (memberId: string) => {
    const body = bodies.get(memberId) ?? {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(T0 + 60_000).toISOString(),
      changes: { contact: { phone: `+1555${faker.string.numeric(7)}` } },
    };
    bodies.set(memberId, body);
    return postSigned(api, syncToken, `/api/v1/members/${memberId}/updates`, body);
  };

  const updatesOf = (memberIds: readonly string[]) =>
    sql<{ id: string; relayed_at: Date | null }>(
      api,
      `select id, relayed_at from outbox where change_kind = 'updated' and member_id = any($1::text[])`,
      [memberIds],
    );

  const totalReceived = () => subscriptions.reduce((n, s) => n + receiver.received(s.path).length, 0);

  it('accepts member changes before, during and after a Redis crash, and the relay and worker recover by themselves', async () => {
    const answers: number[] = [];
    await inParallel(members.slice(0, CRASH_AFTER), 4, async (id) => {
      answers.push((await changePhone(id)).status);
    });
    // Deliveries are under way (and some are in flight) when Redis dies.
    await waitFor(
      () => receiver.inFlight() > 0 && totalReceived() >= 10,
      (ready) => ready,
      20_000,
    );
    receivedAtCrash = totalReceived();
    const inFlightAtCrash = receiver.inFlight();
    await redis.crash();

    const during = outageMembers.map(async (id) => {
      const started = Date.now();
      try {
        const res = await changePhone(id);
        outage.push({
          status: res.status,
          type: res.body?.type as string | undefined,
          retryAfter: res.headers['retry-after'],
          ms: Date.now() - started,
        });
      } catch (error) {
        outage.push({ error: (error as Error).message, ms: Date.now() - started });
      }
    });
    const read = await api
      .http()
      .get(`/api/v1/members/${members[0]}`)
      .set('authorization', `Bearer ${syncToken}`);
    outageRead = {
      status: read.status,
      type: read.body?.type as string,
      retryAfter: read.headers['retry-after'],
    };
    await Promise.all(during);
    await sleep(Math.max(0, OUTAGE_MS - 2_500));
    outageCommitted = (await updatesOf(outageMembers)).length;
    await redis.start();
    // The client comes back with the same request, as Retry-After asks (sooner here), until the API
    // has reconnected to Redis (ioredis backs off up to 2 s between attempts): then it is applied once.
    for (const id of outageMembers) {
      const status = await waitFor(
        async () => (await changePhone(id)).status,
        (s) => s !== 503,
        20_000,
      );
      expect(status).toBe(200);
    }

    await inParallel(members.slice(CRASH_AFTER), 4, async (id) => {
      answers.push((await changePhone(id)).status);
    });
    expect(answers).toHaveLength(CHANGES);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    // Positive controls: the crash came mid-run, with attempts sent and not yet answered.
    expect(inFlightAtCrash).toBeGreaterThan(0);
    expect(receivedAtCrash).toBeLessThan(CHANGES * subscriptions.length);

    // No queue is touched from here on: the worker's own relay and BullMQ workers must finish.
    const rows = await waitFor(
      () => updatesOf([...members, ...outageMembers]),
      (r) => r.length >= CHANGES && r.every((row) => row.relayed_at !== null),
      60_000,
    );
    expect(rows.filter((row) => row.relayed_at === null)).toEqual([]);
  }, 180_000);

  it('delivers every change to every subscription at least once, and nothing else', async () => {
    const expectedOf = async (memberIds: readonly string[]) => (await updatesOf(memberIds)).map((r) => r.id);
    const changed = [...(await expectedOf(members)), ...(await expectedOf(outageMembers))];
    expect(changed.length).toBeGreaterThanOrEqual(CHANGES);
    for (const subscription of subscriptions) {
      const expected = changed.map((outboxId) => `${outboxId}.${subscription.id}`).sort();
      const delivered = await waitFor(
        () => new Set(receiver.received(subscription.path).map((r) => r.webhookId)),
        (ids) => expected.every((id) => ids.has(id)),
        90_000,
      );
      expect(expected.filter((id) => !delivered.has(id))).toEqual([]);
      expect([...delivered].sort()).toEqual(expected);
    }
    // Regression: a failure racing a success of the same endpoint disabled it as "failing since 1970".
    const statuses = await sql<{ status: string }>(
      api,
      'select status from webhook_subscription where id = any($1::text[]) order by id',
      [subscriptions.map((s) => s.id)],
    );
    expect(statuses).toEqual([{ status: 'active' }, { status: 'active' }]);
    // Delivered means accepted: none is left in a dead letter.
    const dead = await api
      .http()
      .get('/api/v1/admin/deliveries/dead-letters')
      .set('authorization', `Bearer ${security.accessToken}`);
    expect(dead.status).toBe(200);
    expect(dead.body.data).toEqual([]);
  }, 120_000);

  it('retries of one delivery carry the same webhook-id and the same signed body bytes', () => {
    let retried = 0;
    for (const subscription of subscriptions) {
      const byId = new Map<string, ReceivedRequest[]>();
      for (const r of receiver.received(subscription.path))
        byId.set(r.webhookId, [...(byId.get(r.webhookId) ?? []), r]);
      for (const [webhookId, attempts] of byId) {
        if (attempts.length > 1) retried += 1;
        const bodies = new Set(attempts.map((a) => a.body.toString('base64')));
        expect({ webhookId, bodies: bodies.size }).toEqual({ webhookId, bodies: 1 });
        for (const attempt of attempts) {
          const verified = new Webhook(subscription.secret).verify(
            attempt.body.toString('utf8'),
            attempt.headers,
          );
          expect(verified).toMatchObject({ type: 'member.updated', version: 2 });
        }
      }
    }
    // Positive control: the receiver refused one first attempt in eight, so retries did happen.
    expect(retried).toBeGreaterThan(0);
  });

  it('answers requests made while Redis is down with a prompt 503 and Retry-After, commits nothing, and applies the retry once', async () => {
    // The gateway's Redis commands (rate limits, revocations) time out after REDIS_COMMAND_TIMEOUT_MS
    // instead of waiting for Redis: the request fails closed, quickly, and changes nothing.
    expect(outageCommitted).toBe(0);
    expect(outage).toHaveLength(OUTAGE_CHANGES);
    for (const answer of outage) {
      expect(answer).toMatchObject({
        status: 503,
        type: expect.stringMatching(/service-unavailable$/),
        retryAfter: '5',
      });
      expect(answer.ms).toBeLessThan(OUTAGE_MS);
    }
    expect(outageRead).toMatchObject({
      status: 503,
      type: expect.stringMatching(/service-unavailable$/),
      retryAfter: '5',
    });
    const rows = await updatesOf(outageMembers);
    expect(rows).toHaveLength(OUTAGE_CHANGES);
    expect(new Set(rows.map((r) => r.id)).size).toBe(OUTAGE_CHANGES);
  });
});
