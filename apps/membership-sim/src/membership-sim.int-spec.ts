import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { TEST_PG_ADMIN_URL, TEST_TLS_DIR } from '../../../test/support/services';
import type { FeedPage } from './change-feed';
import type { GenerationRun } from './generation.service';
import { applyChanges, MEMBER_GROUP_NAMES, type MemberChanges, type MemberGroups } from './member-document';
import { startMembershipSim, type RunningSim } from './membership-sim.app';
import { loadSimConfig } from './sim-config';
import type { SimMemberView } from './sim-members';

const cert = readFileSync(join(TEST_TLS_DIR, 'cert.pem'), 'utf8');
const key = readFileSync(join(TEST_TLS_DIR, 'key.pem'), 'utf8');
const agent = new Agent({ ca: cert, keepAlive: true });

const FEED_TOKEN = `feed-${randomBytes(12).toString('hex')}`;
const CONTROL_TOKEN = `control-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const DELIVERY_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const CLIENT = { id: 'cli_sim_test', secret: randomBytes(16).toString('hex') };
const ORGANIZATION_ID = 'org_01JABCDEFGHJKMNPQRSTVWXYZ0';

interface Received {
  path: string;
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  verified: boolean;
}

interface Response<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Response<T>> {
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, baseUrl),
      {
        method,
        agent,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: (text ? JSON.parse(text) : null) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A stand-in for our API: issues tokens and records each webhook, verified with the reference library. */
function startReceiver(): Promise<{
  server: Server;
  url: string;
  received: Received[];
  tokensIssued: () => number;
}> {
  const received: Received[] = [];
  const verifier = new Webhook(WEBHOOK_SECRET);
  let tokens = 0;
  const issued = new Set<string>();
  const server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.url === '/oauth/token') {
        const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
        const form = new URLSearchParams(body);
        if (req.headers.authorization !== basic || form.get('grant_type') !== 'client_credentials')
          return reply(401, { error: 'invalid_client' });
        const token = `tok_${++tokens}_${randomBytes(8).toString('hex')}`;
        issued.add(token);
        return reply(200, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: 900,
          scope: form.get('scope'),
        });
      }
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!issued.has(bearer)) return reply(401, { type: 'unauthorized' });
      let verified = true;
      try {
        verifier.verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      received.push({
        path: req.url ?? '',
        webhookId: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        verified,
      });
      if (!verified) return reply(401, { type: 'unauthorized' });
      if (req.url === '/api/v1/members') {
        const ref = (JSON.parse(body) as { sourceRef: string }).sourceRef;
        return reply(201, { id: memberIdFor(ref), version: 1 });
      }
      return reply(200, { results: [{ status: 'applied' }] });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received,
        tokensIssued: () => tokens,
      }),
    ),
  );
}

/** Our API's (made-up) id for a member, derived from its sourceRef so the test can check it. */
function memberIdFor(sourceRef: string): string {
  return `mbr_${Buffer.from(sourceRef.slice(-13)).toString('hex').toUpperCase().slice(0, 26)}`;
}

async function readWholeFeed(sim: RunningSim, limit: number, from?: string): Promise<FeedPage['data']> {
  const all: FeedPage['data'] = [];
  let cursor = from;
  for (;;) {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const page = await call<FeedPage>(sim.url, 'GET', `/changes?${query.toString()}`, {
      headers: { authorization: `Bearer ${FEED_TOKEN}` },
    });
    expect(page.status).toBe(200);
    expect(page.body.data.length).toBeLessThanOrEqual(limit);
    all.push(...page.body.data);
    cursor = page.body.nextCursor;
    if (!page.body.hasMore) return all;
  }
}

async function allSimMembers(sim: RunningSim): Promise<SimMemberView[]> {
  const all: SimMemberView[] = [];
  let cursor: string | null = null;
  do {
    const query: string = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) }).toString();
    const page = await call<{ data: SimMemberView[]; nextCursor: string | null }>(
      sim.url,
      'GET',
      `/sim/members?${query}`,
    );
    all.push(...page.body.data);
    cursor = page.body.nextCursor;
  } while (cursor);
  return all;
}

function signedDelivery(
  payload: unknown,
  secret = DELIVERY_SECRET,
  id = `msg_${randomBytes(8).toString('hex')}`,
) {
  const raw = JSON.stringify(payload);
  const timestamp = new Date();
  return {
    raw,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, timestamp, raw),
    },
  };
}

describe('membership-sim (HTTPS, real Postgres)', () => {
  const databaseName = `msync_t_sim_${randomBytes(5).toString('hex')}`;
  const databaseUrl = (() => {
    const url = new URL(TEST_PG_ADMIN_URL);
    url.pathname = `/${databaseName}`;
    return url.toString();
  })();
  let sim: RunningSim;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let reordered: GenerationRun;
  let inOrder: GenerationRun;

  const env = (extra: Record<string, string> = {}) => ({
    SIM_PORT: '0',
    SIM_HOST: '127.0.0.1',
    SIM_DATABASE_URL: databaseUrl,
    SIM_TLS_CERT_FILE: join(TEST_TLS_DIR, 'cert.pem'),
    SIM_TLS_KEY_FILE: join(TEST_TLS_DIR, 'key.pem'),
    SIM_FEED_TOKEN: FEED_TOKEN,
    ...extra,
  });

  beforeAll(async () => {
    receiver = await startReceiver();
    // The sim creates its database when absent.
    sim = await startMembershipSim(loadSimConfig(env()));
    const target = await call(sim.url, 'PUT', '/sim/target', {
      json: {
        baseUrl: receiver.url,
        organizationId: ORGANIZATION_ID,
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
        webhookSecret: WEBHOOK_SECRET,
      },
    });
    expect(target.status).toBe(204);
    const first = await call<GenerationRun>(sim.url, 'POST', '/sim/generate', {
      json: {
        members: 30,
        changes: 170,
        seed: 42,
        dropRate: 0.2,
        duplicateRate: 0.1,
        reorder: true,
        concurrency: 1,
      },
    });
    expect(first.status).toBe(200);
    reordered = first.body;
    const second = await call<GenerationRun>(sim.url, 'POST', '/sim/generate', {
      json: { members: 0, changes: 25, seed: 7, reorder: false, concurrency: 1 },
    });
    expect(second.status).toBe(200);
    inOrder = second.body;
  });

  afterAll(async () => {
    await sim?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
    agent.destroy();
    const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`drop database if exists "${databaseName}" with (force)`);
    await admin.end();
  });

  const receivedIn = (run: GenerationRun, all: Received[]) => {
    const before = run === reordered ? 0 : reordered.requests;
    return all.slice(before, before + run.requests);
  };
  const eventIdOf = (r: Received) => {
    const body = JSON.parse(r.body) as { eventId?: string; updates?: Array<{ eventId: string }> };
    return body.eventId ?? body.updates?.[0].eventId;
  };

  it('reports exact counts: delivered + dropped = events, each duplicate an extra request', () => {
    expect(reordered).toMatchObject({
      status: 'done',
      events: 200,
      dropped: 40,
      sent: 160,
      duplicated: 20,
      requests: 180,
      failed: 0,
    });
    const mine = receivedIn(reordered, receiver.received);
    expect(mine).toHaveLength(180);
    expect(new Set(mine.map((r) => r.webhookId)).size).toBe(reordered.sent);
    expect(reordered.sent + reordered.dropped).toBe(reordered.events);
    expect(Object.keys(reordered.responses).sort()).toEqual(['200', '201']);
  });

  it('signs every webhook so the standardwebhooks library verifies it, with one cached token', () => {
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(receiver.tokensIssued()).toBe(1);
  });

  it('sends a duplicate with the same webhook-id, the same bytes and the same signature', () => {
    const byId = new Map<string, Received[]>();
    for (const r of receivedIn(reordered, receiver.received))
      byId.set(r.webhookId, [...(byId.get(r.webhookId) ?? []), r]);
    const twice = [...byId.values()].filter((copies) => copies.length === 2);
    expect(twice).toHaveLength(20);
    expect([...byId.values()].every((copies) => copies.length <= 2)).toBe(true);
    for (const [a, b] of twice) {
      expect(b.body).toBe(a.body);
      expect(b.signature).toBe(a.signature);
      expect(b.timestamp).toBe(a.timestamp);
    }
  });

  it('sends creates to POST /api/v1/members and updates as one-item batches by sourceRef', () => {
    for (const r of receivedIn(reordered, receiver.received)) {
      const body = JSON.parse(r.body) as Record<string, unknown> & {
        updates?: Array<Record<string, unknown>>;
      };
      if (r.path === '/api/v1/members') {
        expect(body.organizationId).toBe(ORGANIZATION_ID);
        expect(Object.keys(body).sort()).toEqual(
          ['eventId', 'occurredAt', 'sourceRef', 'organizationId', ...MEMBER_GROUP_NAMES].sort(),
        );
      } else {
        expect(r.path).toBe('/api/v1/sync/batches');
        expect(Object.keys(body)).toEqual(['updates']);
        expect(body.updates).toHaveLength(1);
        expect(Object.keys(body.updates?.[0] ?? {})).toEqual([
          'sourceRef',
          'eventId',
          'occurredAt',
          'changes',
        ]);
      }
    }
  });

  it('delivers in another order than committed when reorder is true, and in commit order when false', async () => {
    const feedOrder = (await readWholeFeed(sim, 1000)).map((c) => c.eventId);
    const firstRun = receivedIn(reordered, receiver.received).filter(
      (r, i, all) => all.findIndex((x) => x.webhookId === r.webhookId) === i,
    );
    const sentOrder = firstRun.map(eventIdOf);
    expect(sentOrder).not.toEqual(feedOrder.filter((id) => sentOrder.includes(id)));
    expect(new Set(sentOrder)).toEqual(
      new Set(feedOrder.slice(0, 200).filter((id) => sentOrder.includes(id))),
    );
    expect(receivedIn(inOrder, receiver.received).map(eventIdOf)).toEqual(feedOrder.slice(200));
  });

  it('dropped webhooks are still in the feed', async () => {
    const feed = await readWholeFeed(sim, 1000);
    const delivered = new Set(receiver.received.map(eventIdOf));
    expect(feed.filter((c) => !delivered.has(c.eventId))).toHaveLength(reordered.dropped);
  });

  it('returns every change exactly once, in commit order, across pages', async () => {
    const paged = await readWholeFeed(sim, 7);
    const whole = await readWholeFeed(sim, 1000);
    expect(paged).toHaveLength(225);
    expect(paged).toEqual(whole);
    expect(new Set(paged.map((c) => c.eventId)).size).toBe(225);
    const times = paged.map((c) => Date.parse(c.occurredAt));
    times.slice(1).forEach((t, i) => expect(t).toBeGreaterThan(times[i]));
    // The changes in the feed are the ones the webhooks carried.
    const sentChanges = new Map(
      receiver.received.map((r) => {
        const body = JSON.parse(r.body) as Record<string, unknown> & {
          updates?: Array<{ eventId: string; changes: unknown }>;
        };
        if (body.updates) return [body.updates[0].eventId, body.updates[0].changes];
        const { eventId, occurredAt: _o, sourceRef: _s, organizationId: _g, ...groups } = body;
        return [eventId as string, groups];
      }),
    );
    for (const change of paged.filter((c) => sentChanges.has(c.eventId))) {
      expect(change.changes).toEqual(sentChanges.get(change.eventId));
    }
  });

  it('starts a run’s changes at the cursor its summary names, and ends with an empty page', async () => {
    const fromSecond = await readWholeFeed(sim, 10, inOrder.feedCursor);
    expect(fromSecond).toHaveLength(25);
    const end = await call<FeedPage>(sim.url, 'GET', '/changes?limit=1000', {
      headers: { authorization: `Bearer ${FEED_TOKEN}` },
    });
    const after = await call<FeedPage>(sim.url, 'GET', `/changes?cursor=${end.body.nextCursor}`, {
      headers: { authorization: `Bearer ${FEED_TOKEN}` },
    });
    expect(after.body).toEqual({ data: [], nextCursor: end.body.nextCursor, hasMore: false });
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer not-the-feed-token' }],
    ['a basic header', { authorization: `Basic ${Buffer.from(`x:${FEED_TOKEN}`).toString('base64')}` }],
  ])('refuses the feed with %s', async (_name, headers) => {
    const res = await call(sim.url, 'GET', '/changes', { headers });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it.each([
    ['a forged cursor', 'cursor=Zm9vLjE'],
    ['a limit over 1000', 'limit=1001'],
    ['a limit of 0', 'limit=0'],
  ])('answers 400 to %s', async (_name, query) => {
    const res = await call(sim.url, 'GET', `/changes?${query}`, {
      headers: { authorization: `Bearer ${FEED_TOKEN}` },
    });
    expect(res.status).toBe(400);
  });

  it('holds each member as applying the feed in order gives, with our API’s id from the create', async () => {
    const replayed = new Map<string, { document: MemberGroups; events: number }>();
    for (const change of await readWholeFeed(sim, 100)) {
      const before = replayed.get(change.sourceRef);
      replayed.set(change.sourceRef, {
        document: before ? applyChanges(before.document, change.changes) : (change.changes as MemberGroups),
        events: (before?.events ?? 0) + 1,
      });
    }
    const members = await allSimMembers(sim);
    expect(members).toHaveLength(30);
    const deliveredCreates = new Set(
      receiver.received
        .filter((r) => r.path === '/api/v1/members')
        .map((r) => (JSON.parse(r.body) as { sourceRef: string }).sourceRef),
    );
    for (const member of members) {
      const expected = replayed.get(member.sourceRef);
      const groups = Object.fromEntries(MEMBER_GROUP_NAMES.map((g) => [g, member[g]]));
      expect(groups).toEqual(expected?.document);
      expect(member.version).toBe(expected?.events);
      expect(member.memberId).toBe(
        deliveredCreates.has(member.sourceRef) ? memberIdFor(member.sourceRef) : null,
      );
      const one = await call<SimMemberView>(sim.url, 'GET', `/sim/members/${member.sourceRef}`);
      expect(one.body).toEqual(member);
    }
    expect((await call(sim.url, 'GET', '/sim/members/src_unknown')).status).toBe(404);
  });

  describe('deliveries from our API', () => {
    let member: SimMemberView;
    const preferences = { channel: 'sms', language: 'es', marketingOptIn: true } as const;
    const deliver = (payload: unknown, secret?: string, id?: string) => {
      const signed = signedDelivery(payload, secret, id);
      return call(sim.url, 'POST', '/sim/deliveries', { raw: signed.raw, headers: signed.headers });
    };

    beforeAll(async () => {
      member = (await allSimMembers(sim))[0];
      expect(
        (await call(sim.url, 'PUT', '/sim/deliveries/secrets', { json: { secrets: [DELIVERY_SECRET] } }))
          .status,
      ).toBe(204);
    });

    const current = async () =>
      (await call<SimMemberView>(sim.url, 'GET', `/sim/members/${member.sourceRef}`)).body;

    it('refuses a delivery signed with another secret and leaves the member alone', async () => {
      const res = await deliver(
        { sourceRef: member.sourceRef, changes: { preferences } },
        `whsec_${randomBytes(24).toString('base64')}`,
      );
      expect(res.status).toBe(401);
      expect(await current()).toEqual(member);
    });

    it('refuses a delivery whose body was changed after signing', async () => {
      const signed = signedDelivery({ sourceRef: member.sourceRef, changes: { preferences } });
      const res = await call(sim.url, 'POST', '/sim/deliveries', {
        raw: signed.raw.replace('"sms"', '"mail"'),
        headers: signed.headers,
      });
      expect(res.status).toBe(401);
      expect(await current()).toEqual(member);
    });

    it('applies a well-signed delivery once per webhook-id, outside the feed', async () => {
      const feedBefore = (await readWholeFeed(sim, 1000)).length;
      const id = `msg_${randomBytes(8).toString('hex')}`;
      const first = await deliver(
        { type: 'member.updated', sourceRef: member.sourceRef, changes: { preferences } },
        undefined,
        id,
      );
      expect(first).toMatchObject({ status: 200, body: { status: 'applied' } });
      const again = await deliver(
        { type: 'member.updated', sourceRef: member.sourceRef, changes: { preferences } },
        undefined,
        id,
      );
      expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
      const after = await current();
      expect(after.preferences).toEqual(preferences);
      expect(after.version).toBe(member.version + 1);
      expect((await readWholeFeed(sim, 1000)).length).toBe(feedBefore);
    });

    it('finds the member by our memberId too', async () => {
      const withId = (await allSimMembers(sim)).find((m) => m.memberId !== null) as SimMemberView;
      const res = await deliver({
        memberId: withId.memberId,
        data: { id: withId.memberId, contact: { phone: '+15550001234' } },
      });
      expect(res.status).toBe(200);
      expect(
        (await call<SimMemberView>(sim.url, 'GET', `/sim/members/${withId.sourceRef}`)).body.contact.phone,
      ).toBe('+15550001234');
    });

    it('answers 404 for an unknown member and 400 for changes outside the member schema', async () => {
      expect((await deliver({ sourceRef: 'src_nobody', changes: { preferences } })).status).toBe(404);
      expect(
        (await deliver({ sourceRef: member.sourceRef, changes: { preferences: { channel: 'pigeon' } } }))
          .status,
      ).toBe(400);
      expect(
        (await deliver({ sourceRef: member.sourceRef, changes: { shoeSize: 44 } as MemberChanges })).status,
      ).toBe(400);
    });

    it('fails twice with Retry-After, then accepts', async () => {
      const set = await call(sim.url, 'PUT', '/sim/deliveries/faults', {
        json: { status: 503, times: 2, retryAfterSeconds: 3 },
      });
      expect(set.status).toBe(200);
      const payload = {
        sourceRef: member.sourceRef,
        changes: { preferences: { ...preferences, language: 'fr' } },
      };
      const answers = [await deliver(payload), await deliver(payload), await deliver(payload)];
      expect(answers.map((a) => a.status)).toEqual([503, 503, 200]);
      expect(answers[0].headers['retry-after']).toBe('3');
      expect((await current()).preferences.language).toBe('fr');
    });

    it('answers 410 while told the endpoint is gone, until reset', async () => {
      await call(sim.url, 'PUT', '/sim/deliveries/faults', { json: { status: 410 } });
      const payload = { sourceRef: member.sourceRef, changes: { preferences } };
      expect((await deliver(payload)).status).toBe(410);
      expect((await deliver(payload)).status).toBe(410);
      await call(sim.url, 'PUT', '/sim/deliveries/faults', { json: { status: 200 } });
      expect((await deliver(payload)).status).toBe(200);
      const log = await call<{ counts: Record<string, number> }>(sim.url, 'GET', '/sim/deliveries');
      expect(log.body.counts).toMatchObject({ refused: 2, fault: 4, duplicate: 1 });
    });
  });

  describe('with a control token', () => {
    let guarded: RunningSim;
    beforeAll(async () => {
      guarded = await startMembershipSim(loadSimConfig(env({ SIM_CONTROL_TOKEN: CONTROL_TOKEN })));
    });
    afterAll(() => guarded.close());

    it('refuses control calls without it', async () => {
      expect((await call(guarded.url, 'GET', '/sim/members')).status).toBe(401);
      expect(
        (await call(guarded.url, 'POST', '/sim/generate', { json: { members: 1, changes: 0, seed: 1 } }))
          .status,
      ).toBe(401);
      expect(
        (
          await call(guarded.url, 'GET', '/sim/members', {
            headers: { authorization: 'Bearer wrong-control-token' },
          })
        ).status,
      ).toBe(401);
    });

    it('accepts them with it, and will not send webhooks before a target is configured', async () => {
      const headers = { authorization: `Bearer ${CONTROL_TOKEN}` };
      expect((await call(guarded.url, 'GET', '/sim/members', { headers })).status).toBe(200);
      const res = await call(guarded.url, 'POST', '/sim/generate', {
        headers,
        json: { members: 1, changes: 0, seed: 1 },
      });
      expect(res.status).toBe(409);
    });
  });
});
