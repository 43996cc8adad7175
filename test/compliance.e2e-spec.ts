import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { AlertsService } from '@app/audit';
import { ManualClock, DATA_CATEGORIES } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { createClient, loginAdmin, setupPartner, sql, type AdminSession } from './support/identity-fixtures';
import { clientToken, createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(5150);

/** A Saturday, 03:00 UTC: outside the default business hours. */
const SATURDAY_NIGHT = new Date('2026-11-28T03:00:00Z');

describe('compliance: one audit event per request, no ePHI anywhere, search, export, disclosures, alerts', () => {
  const clock = new ManualClock(SATURDAY_NIGHT);
  const logFile = join(mkdtempSync(join(tmpdir(), 'msync-log-')), 'api.log');
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const received: Array<{ headers: Record<string, string>; body: string }> = [];
  let hook: Server;
  let api: TestApi;
  let worker: INestApplicationContext;
  let officer: AdminSession;
  let syncToken: string;
  let syncClient: { clientId: string; clientSecret?: string };
  let partnerId: string;
  let body: ReturnType<typeof syntheticMember>;
  let memberId: string;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body: data });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    api = await startTestApi({
      clock,
      env: {
        LOG_LEVEL: 'info',
        LOG_FILE: logFile,
        TRUST_PROXY: 'true',
        ALERT_BULK_READ_PER_HOUR: '3',
        ALERT_IP_LEARNING_REQUESTS: '5',
        SECURITY_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as { port: number }).port}/alerts`,
        SECURITY_WEBHOOK_SECRET: webhookSecret,
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    // The worker keeps real time: webhook receivers check the signature timestamp against theirs.
    worker = await createWorkerApplication(api.config);
    officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    const setup = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    partnerId = setup.partnerId;
    const client = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    syncClient = client;
    syncToken = await clientToken(api, client);
    body = syntheticMember(setup.organizationId);
    memberId = await createMember(api, syncToken, body);
  });
  afterAll(async () => {
    await worker?.close();
    await api.close();
    hook.close();
  });

  const as = (token: string, requestId: string) => ({
    authorization: `Bearer ${token}`,
    'x-request-id': requestId,
    'user-agent': 'compliance-suite/1',
  });

  it('writes exactly one audit event per request, with who, where, which route and which ids', async () => {
    const ids = Array.from({ length: 7 }, () => randomUUID());
    const responses = [
      await api.http().get(`/api/v1/members/${memberId}`).set(as(syncToken, ids[0])),
      await api.http().get('/api/v1/members').query({ limit: 5 }).set(as(syncToken, ids[1])),
      await postSigned(api, syncToken, '/api/v1/members', { identity: {} }, as(syncToken, ids[2])),
      await api.http().get('/api/v1/not-a-route').set(as(syncToken, ids[3])),
      await api.http().get(`/api/v1/members/${memberId}`).set({ 'x-request-id': ids[4] }),
      await api.http().post('/api/v1/admin/organizations').set(as(syncToken, ids[5])).send({ name: 'x' }),
      await api
        .http()
        .post('/api/v1/admin/organizations')
        .set(as(officer.accessToken, ids[6]))
        .send({ name: faker.company.name() }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 400, 404, 401, 403, 201]);
    const rows = await sql<{ request_id: string; n: number }>(
      api,
      'select request_id, count(*)::int as n from audit_event where request_id = any($1::uuid[]) group by request_id',
      [ids],
    );
    expect(rows.map((r) => r.n)).toEqual(ids.map(() => 1));
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));

    const [read] = await sql(api, 'select * from audit_event where request_id = $1', [ids[0]]);
    expect(read).toMatchObject({
      actor_type: 'partner_client',
      partner_id: partnerId,
      ip: '127.0.0.1',
      user_agent: 'compliance-suite/1',
      method: 'GET',
      route: '/api/v1/members/:memberId',
      action: 'member.read',
      resource_type: 'member',
      resource_ids: [memberId],
      purpose: 'operations',
      outcome: 'success',
      status_code: 200,
    });
    expect(read.categories).toEqual(expect.arrayContaining(['identity', 'government_id']));
    const [list] = await sql(api, 'select action, resource_ids from audit_event where request_id = $1', [
      ids[1],
    ]);
    expect(list).toEqual({ action: 'member.list', resource_ids: expect.arrayContaining([memberId]) });
  });

  it('lets a compliance officer search, export (ndjson, ECS, CEF) and account for disclosures, and audits exports', async () => {
    const search = await api
      .http()
      .get('/api/v1/admin/audit/events')
      .query({ memberId, action: 'member.read' })
      .set(as(officer.accessToken, randomUUID()));
    expect(search.status).toBe(200);
    expect(search.body.data.length).toBeGreaterThan(0);
    expect(search.body.data.every((e: { resourceIds: string[] }) => e.resourceIds.includes(memberId))).toBe(
      true,
    );

    const ndjson = await api
      .http()
      .get('/api/v1/admin/audit/export')
      .query({ format: 'ndjson' })
      .set(as(officer.accessToken, randomUUID()));
    expect(ndjson.status).toBe(200);
    const lines = ndjson.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
    const ecs = await api
      .http()
      .get('/api/v1/admin/audit/export')
      .query({ format: 'ecs' })
      .set(as(officer.accessToken, randomUUID()));
    expect(JSON.parse(ecs.text.split('\n')[0])).toHaveProperty('@timestamp');
    const cef = await api
      .http()
      .get('/api/v1/admin/audit/export')
      .query({ format: 'cef' })
      .set(as(officer.accessToken, randomUUID()));
    expect(
      cef.text
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('CEF:0|MemberSync|member-sync-api|1|')),
    ).toBe(true);
    const exports = await sql(
      api,
      `select count(*)::int as n from audit_event where action = 'audit.export'`,
    );
    expect(exports[0]).toEqual({ n: 3 });

    const disclosures = await api
      .http()
      .get(`/api/v1/admin/members/${memberId}/disclosures`)
      .set(as(officer.accessToken, randomUUID()));
    expect(disclosures.status).toBe(200);
    expect(disclosures.body.data[0]).toMatchObject({
      partnerId,
      purpose: 'operations',
      categories: expect.arrayContaining(['identity']),
    });
  });

  it('raises a bulk-read alert outside business hours, not inside them, and delivers it as a signed webhook', async () => {
    clock.set(new Date('2026-11-30T10:00:00Z')); // Monday morning
    syncToken = await clientToken(api, syncClient);
    for (let i = 0; i < 5; i++) {
      expect(
        (await api.http().get(`/api/v1/members/${memberId}`).set(as(syncToken, randomUUID()))).status,
      ).toBe(200);
    }
    // Reads are counted in memory and sent to Redis in the background: flush them before looking.
    await api.app.get(AlertsService).flushReads();
    expect(await sql(api, `select id from alert where type = 'bulk_read_off_hours'`)).toEqual([]);
    clock.set(new Date('2026-12-05T02:00:00Z')); // Saturday night
    syncToken = await clientToken(api, syncClient);
    for (let i = 0; i < 5; i++) {
      expect(
        (await api.http().get(`/api/v1/members/${memberId}`).set(as(syncToken, randomUUID()))).status,
      ).toBe(200);
    }
    await api.app.get(AlertsService).flushReads();
    const alerts = await sql<{ id: string }>(api, `select id from alert where type = 'bulk_read_off_hours'`);
    expect(alerts).toHaveLength(1);

    const deadline = Date.now() + 10_000;
    while (!received.some((r) => r.body.includes(alerts[0].id)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const delivery = received.find((r) => r.body.includes(alerts[0].id))!;
    const verified = new Webhook(webhookSecret).verify(delivery.body, {
      'webhook-id': delivery.headers['webhook-id'],
      'webhook-timestamp': delivery.headers['webhook-timestamp'],
      'webhook-signature': delivery.headers['webhook-signature'],
    }) as { data: { type: string } };
    expect(verified.data.type).toBe('bulk_read_off_hours');
    expect(() =>
      new Webhook(webhookSecret).verify(delivery.body.replace('bulk_read', 'bulk_xead'), {
        'webhook-id': delivery.headers['webhook-id'],
        'webhook-timestamp': delivery.headers['webhook-timestamp'],
        'webhook-signature': delivery.headers['webhook-signature'],
      }),
    ).toThrow();

    const ack = await api
      .http()
      .post(`/api/v1/admin/alerts/${alerts[0].id}/acknowledge`)
      .set(as((await loginAdmin(api, clock, 'compliance_officer')).accessToken, randomUUID()))
      .send({ note: 'scheduled export by the partner, confirmed by phone' });
    expect(ack.status).toBe(200);
    expect(ack.body.acknowledgedAt).toBeTruthy();
  });

  it('raises an unusual-network alert once a client leaves its learned networks, and not for its usual ones', async () => {
    const from = (ip: string) =>
      api
        .http()
        .get(`/api/v1/members/${memberId}`)
        .set(as(syncToken, randomUUID()))
        .set('x-forwarded-for', ip);
    // Every earlier request of this client came from 127.0.0.1: that network is learned.
    for (let i = 0; i < 3; i++) expect((await from('127.0.0.1')).status).toBe(200);
    expect(await sql(api, `select id from alert where type = 'unusual_source_network'`)).toEqual([]);
    expect((await from('198.51.100.10')).status).toBe(200);
    expect((await from('198.51.100.11')).status).toBe(200);
    const alerts = await sql(api, `select details from alert where type = 'unusual_source_network'`);
    expect(alerts).toEqual([{ details: { network: '198.51.100.0/24' } }]);
  });

  it('never answers 500 to a forged, overlong X-Forwarded-For behind a trusted proxy', async () => {
    const res = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .set(as(syncToken, randomUUID()))
      .set('x-forwarded-for', `not-an-address-${'x'.repeat(120)}`);
    expect(res.status).toBe(200);
  });

  it('leaves no synthetic ePHI canary in logs, Redis keys and values, or any non-ciphertext database column', async () => {
    const canaries = [
      body.identity.givenName,
      body.identity.familyName,
      body.identity.dateOfBirth,
      body.governmentId.ssn,
      body.contact.email,
      body.contact.phone,
      body.membership.externalMemberNumber,
    ].filter((v): v is string => typeof v === 'string');
    await new Promise((r) => setTimeout(r, 500)); // the log transport flushes asynchronously
    const logs = readFileSync(logFile, 'utf8');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain(memberId);
    for (const canary of canaries) expect(logs).not.toContain(canary);

    const redis = new Redis(TEST_REDIS_URL);
    try {
      const prefix = api.config.redis.keyPrefix;
      const seen: string[] = [];
      for (const pattern of [`${prefix}:*`, `{${prefix}}:*`, `{${prefix}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          for (const key of keys) {
            seen.push(key);
            const type = await redis.type(key);
            if (type === 'string') seen.push((await redis.get(key)) ?? '');
            else if (type === 'hash') seen.push(JSON.stringify(await redis.hgetall(key)));
            else if (type === 'list') seen.push(...(await redis.lrange(key, 0, -1)));
            else if (type === 'set') seen.push(...(await redis.smembers(key)));
            else if (type === 'zset') seen.push(...(await redis.zrange(key, '0', '-1')));
            else if (type === 'stream') seen.push(JSON.stringify(await redis.xrange(key, '-', '+')));
          }
        } while (cursor !== '0');
      }
      expect(seen.join('\n')).toContain('alerts.deliver');
      for (const canary of canaries) expect(seen.join('\n')).not.toContain(canary);
    } finally {
      redis.disconnect();
    }

    const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
      maxBuffer: 256 * 1024 * 1024,
    }).toString();
    for (const canary of canaries) expect(dump).not.toContain(canary);
  });
});
