import { createHash } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Webhook } from 'standardwebhooks';
import { DATA_CATEGORIES, ManualClock, newId, type DataCategory, type PartnerScope } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { adminPost, createClient, loginAdmin, sql, type AdminSession } from './support/identity-fixtures';
import {
  loopbackDeliveryEnv,
  startHttpsReceiver,
  waitFor,
  type HttpsReceiver,
} from './support/https-receiver';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { PUBLIC_SUBSCRIPTION_URL } from './support/subscription-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(20261201);

const PROBLEM = 'https://member-sync.dev/problems/';
/** The example: marketing needs the member's authorization, so its partners require consent. */
const PURPOSE = 'marketing';
const ENVELOPE = ['id', 'organizationId', 'status', 'updatedAt', 'version'];
const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
const evidence = () => createHash('sha256').update(faker.lorem.paragraph()).digest('hex');

interface Partner {
  partnerId: string;
  token: string;
}

describe('consent: partners whose purpose requires it see only consented members and categories', () => {
  const clock = new ManualClock(Date.now());
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let officer: AdminSession;
  let security: AdminSession;
  let orgA: string;
  let orgB: string;
  let source: Partner;
  /** Requires consent, subscribed to consent.revoked at /hooks/marketer. */
  let marketer: Partner & { secret: string };
  /** Requires consent too, same organization, never given consent. */
  let otherMarketer: Partner;
  /** Needs no consent. */
  let plain: Partner;
  let m1: string;
  let m1Email: string;
  let m2: string;
  let m3: string;
  let inB: string;
  let consentM1: string;

  async function organization(): Promise<string> {
    const res = await adminPost(api, officer.accessToken, '/api/v1/admin/organizations', {
      name: faker.company.name(),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function partner(options: {
    type: 'membership_system' | 'wellness_app' | 'benefits_admin';
    organizationIds: string[];
    categories: DataCategory[];
    scopes: PartnerScope[];
    requiresConsent: boolean;
    purpose: string;
  }): Promise<Partner> {
    const vendor = await adminPost(api, officer.accessToken, '/api/v1/admin/vendors', {
      name: faker.company.name(),
      role: 'partner',
      baa: {
        status: 'signed',
        signedAt: '2026-01-02',
        effectiveFrom: '2026-01-02',
        expiresAt: '2028-01-01',
        documentSha256: evidence(),
        permittedCategories: options.categories,
      },
    });
    expect(vendor.status).toBe(201);
    const created = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId: vendor.body.id,
      type: options.type,
      organizationIds: options.organizationIds,
      categories: options.categories,
      purpose: options.purpose,
      requiresConsent: options.requiresConsent,
    });
    expect(created.status).toBe(201);
    const client = await createClient(api, security.accessToken, created.body.id, {
      authMethod: 'client_secret_basic',
      scopes: options.scopes,
    });
    return { partnerId: created.body.id as string, token: await clientToken(api, client) };
  }

  const marketingPartner = (organizationIds: string[]) =>
    partner({
      type: 'wellness_app',
      organizationIds,
      categories: ['identity', 'contact', 'coverage'],
      scopes: ['members:read', 'changes:read', 'subscriptions:manage'],
      requiresConsent: true,
      purpose: PURPOSE,
    });

  const read = (token: string, id: string) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);
  const list = (token: string, query: Record<string, unknown> = {}) =>
    api.http().get('/api/v1/members').query(query).set('authorization', `Bearer ${token}`);
  const admin = (token: string, path: string, query: Record<string, unknown> = {}) =>
    api.http().get(path).query(query).set('authorization', `Bearer ${token}`);
  const consent = (body: Record<string, unknown>, token = officer.accessToken) =>
    adminPost(api, token, '/api/v1/admin/consents', {
      purpose: PURPOSE,
      validFrom: new Date(clock.nowMs() - 3_600_000).toISOString(),
      evidenceSha256: evidence(),
      ...body,
    });
  const revoke = (id: string, reason: string) =>
    adminPost(api, officer.accessToken, `/api/v1/admin/consents/${id}/revoke`, { reason });

  /** Every member id a partner's list shows, page by page (`limit` each), and how many pages it took. */
  async function listAll(token: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await list(token, { limit, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages += 1;
      ids.push(...(res.body.data as { id: string }[]).map((m) => m.id));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor && pages < 50);
    return { ids, pages };
  }

  /** The partner's whole change feed until caught up: the entries' member ids and their data. */
  async function feed(
    token: string,
  ): Promise<Array<{ memberId: string; data: Record<string, unknown> | null }>> {
    const entries: Array<{ memberId: string; data: Record<string, unknown> | null }> = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const res = await api
        .http()
        .get('/api/v1/changes')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set('authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      entries.push(...(res.body.data as typeof entries));
      cursor = res.body.nextCursor as string;
      if (!res.body.hasMore) break;
    }
    return entries;
  }

  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    api = await startTestApi({
      clock,
      env: {
        ...loopbackDeliveryEnv('0,1,1,1'),
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    orgA = await organization();
    orgB = await organization();
    source = await partner({
      type: 'membership_system',
      organizationIds: [orgA, orgB],
      categories: [...DATA_CATEGORIES],
      scopes: ['sync:write', 'members:read', 'members:write'],
      requiresConsent: false,
      purpose: 'sync',
    });
    const m1Body = syntheticMember(orgA, { occurredAt: at(0) });
    m1Email = m1Body.contact.email;
    m1 = await createMember(api, source.token, m1Body);
    m2 = await createMember(api, source.token, syntheticMember(orgA, { occurredAt: at(0) }));
    m3 = await createMember(api, source.token, syntheticMember(orgA, { occurredAt: at(0) }));
    inB = await createMember(api, source.token, syntheticMember(orgB, { occurredAt: at(0) }));

    const subscribed = await marketingPartner([orgA]);
    const sub = await api
      .http()
      .post('/api/v1/webhook-subscriptions')
      .set('authorization', `Bearer ${subscribed.token}`)
      .send({ url: PUBLIC_SUBSCRIPTION_URL, events: ['consent.revoked'] });
    expect(sub.status).toBe(201);
    // Registration refuses loopback (the SSRF guard); the suite's receiver is loopback.
    await sql(api, 'update webhook_subscription set url = $1 where id = $2', [
      `https://127.0.0.1:${receiver.port}/hooks/marketer`,
      sub.body.id,
    ]);
    marketer = { ...subscribed, secret: sub.body.secret as string };
    otherMarketer = await marketingPartner([orgA]);
    plain = await partner({
      type: 'wellness_app',
      organizationIds: [orgA],
      categories: ['identity', 'contact', 'coverage'],
      scopes: ['members:read', 'changes:read'],
      requiresConsent: false,
      purpose: PURPOSE,
    });
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
  });

  it('shows a consent partner without consent none of the member: GET 404 like a missing one, lists and feed omit it', async () => {
    const hidden = await read(marketer.token, m1);
    const missing = await read(marketer.token, newId('member'));
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.body).toMatchObject({ type: `${PROBLEM}not-found`, detail: missing.body.detail });
    expect(hidden.text).not.toContain(m1Email);

    expect((await listAll(marketer.token, 50)).ids).toEqual([]);
    expect(await feed(marketer.token)).toEqual([]);

    const denied = await sql<{ reason: string; status_code: number }>(
      api,
      `select reason, status_code from audit_event
        where partner_id = $1 and action = 'member.read' and outcome = 'denied' and $2 = any(resource_ids)`,
      [marketer.partnerId, m1],
    );
    expect(denied).toEqual([{ reason: 'no_consent', status_code: 404 }]);
  });

  it('leaves a partner that needs no consent unaffected', async () => {
    const res = await read(plain.token, m1);
    expect(res.status).toBe(200);
    expect(res.body.identity).toBeDefined();
    expect(res.body.contact.email).toBe(m1Email);
    expect((await listAll(plain.token, 50)).ids.sort()).toEqual([m1, m2, m3].sort());
  });

  it('lets only a compliance officer record consents (an operator gets 403)', async () => {
    const operator = await loginAdmin(api, clock, 'operator');
    const res = await consent(
      { memberId: m1, partnerId: marketer.partnerId, categories: ['contact'] },
      operator.accessToken,
    );
    expect(res.status).toBe(403);
    const list = await admin(operator.accessToken, '/api/v1/admin/consents');
    expect(list.status).toBe(403);
  });

  it.each<[string, () => Record<string, unknown>, number, string]>([
    [
      "a member in an organization the partner can't see",
      () => ({ memberId: inB, partnerId: marketer.partnerId, categories: ['contact'] }),
      422,
      'unprocessable-entity',
    ],
    [
      "a category outside the partner's registration",
      () => ({ memberId: m1, partnerId: marketer.partnerId, categories: ['contact', 'government_id'] }),
      422,
      'unprocessable-entity',
    ],
    [
      "another purpose than the partner's",
      () => ({ memberId: m1, partnerId: marketer.partnerId, categories: ['contact'], purpose: 'operations' }),
      422,
      'unprocessable-entity',
    ],
    [
      'a period that ends before it starts',
      () => ({
        memberId: m1,
        partnerId: marketer.partnerId,
        categories: ['contact'],
        validFrom: at(10),
        validUntil: at(5),
      }),
      422,
      'unprocessable-entity',
    ],
    [
      'a member that does not exist',
      () => ({ memberId: newId('member'), partnerId: marketer.partnerId, categories: ['contact'] }),
      404,
      'not-found',
    ],
    [
      'a partner that does not exist',
      () => ({ memberId: m1, partnerId: newId('partner'), categories: ['contact'] }),
      404,
      'not-found',
    ],
    [
      'an evidence hash that is not SHA-256 hex',
      () => ({ memberId: m1, partnerId: marketer.partnerId, categories: ['contact'], evidenceSha256: 'abc' }),
      400,
      'validation-failed',
    ],
  ])('refuses a consent for %s', async (_name, body, status, type) => {
    const res = await consent(body());
    expect(res.status).toBe(status);
    expect(res.body.type).toBe(`${PROBLEM}${type}`);
    expect(await sql(api, 'select id from consent')).toEqual([]);
  });

  it('with consent for contact only shows only the contact group, in reads, lists and the change feed', async () => {
    const created = await consent({ memberId: m1, partnerId: marketer.partnerId, categories: ['contact'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^cns_[0-9A-Z]{26}$/) });
    consentM1 = created.body.id as string;

    const res = await read(marketer.token, m1);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([...ENVELOPE, 'contact'].sort());
    expect(res.body.contact.email).toBe(m1Email);

    const page = await list(marketer.token);
    expect(page.body.data).toEqual([res.body]);
    const entries = await feed(marketer.token);
    expect(entries.map((e) => e.memberId)).toEqual([m1]);
    expect(entries[0].data).toEqual(res.body);

    const audited = await sql<{ actor_id: string; resource_ids: string[] }>(
      api,
      `select actor_id, resource_ids from audit_event where action = 'consent.create' and outcome = 'success'`,
    );
    expect(audited).toEqual([{ actor_id: officer.id, resource_ids: [consentM1, m1, marketer.partnerId] }]);
  });

  it("doesn't open the member to another consent partner of the same organization", async () => {
    expect((await read(otherMarketer.token, m1)).status).toBe(404);
    expect((await listAll(otherMarketer.token, 50)).ids).toEqual([]);
  });

  it('holds writes by a consent partner to the read rule: 404 without consent, 403 outside it', async () => {
    const writer = await partner({
      type: 'benefits_admin',
      organizationIds: [orgA],
      categories: ['contact', 'preferences'],
      scopes: ['members:read', 'members.preferences:write'],
      requiresConsent: true,
      purpose: PURPOSE,
    });
    const put = () =>
      api
        .http()
        .put(`/api/v1/members/${m2}/preferences`)
        .set('authorization', `Bearer ${writer.token}`)
        .set('if-match', '"1"')
        .send({ channel: 'sms', language: 'es', marketingOptIn: false });
    expect((await put()).status).toBe(404);
    const contactOnly = await consent({ memberId: m2, partnerId: writer.partnerId, categories: ['contact'] });
    expect(contactOnly.status).toBe(201);
    const outside = await put();
    expect(outside.status).toBe(403);
    expect(outside.body.type).toBe(`${PROBLEM}forbidden`);
    const both = await consent({ memberId: m2, partnerId: writer.partnerId, categories: ['preferences'] });
    expect(both.status).toBe(201);
    expect((await put()).status).toBe(200);
    const reasons = await sql<{ reason: string }>(
      api,
      `select reason from audit_event where partner_id = $1 and outcome = 'denied' order by occurred_at, seq`,
      [writer.partnerId],
    );
    expect(reasons.map((r) => r.reason)).toEqual(['no_consent', 'category_not_consented']);
  });

  it('pages a consent partner past the members it may not see, down to the last one', async () => {
    const second = await consent({ memberId: m3, partnerId: marketer.partnerId, categories: ['identity'] });
    expect(second.status).toBe(201);
    const { ids, pages } = await listAll(marketer.token, 1);
    // Same updatedAt for all three (one clock instant), so the keyset order is the ids' order.
    expect(ids).toEqual([m1, m3].sort());
    // Three members of orgA, one per page: the hidden one costs a page but never shows.
    expect(pages).toBeGreaterThanOrEqual(3);
    const m3Read = await read(marketer.token, m3);
    expect(Object.keys(m3Read.body).sort()).toEqual([...ENVELOPE, 'identity'].sort());
  });

  it('lists and shows consents to compliance officers, filtered, with cursor paging', async () => {
    const byMember = await admin(officer.accessToken, '/api/v1/admin/consents', { memberId: m1 });
    expect(byMember.status).toBe(200);
    expect(byMember.body).toEqual({
      data: [
        expect.objectContaining({
          id: consentM1,
          memberId: m1,
          organizationId: orgA,
          partnerId: marketer.partnerId,
          purpose: PURPOSE,
          categories: ['contact'],
          status: 'active',
          inEffect: true,
          validUntil: null,
          createdBy: officer.id,
          revokedAt: null,
        }),
      ],
      nextCursor: null,
    });
    const one = await admin(officer.accessToken, `/api/v1/admin/consents/${consentM1}`);
    expect(one.body).toEqual(byMember.body.data[0]);

    const first = await admin(officer.accessToken, '/api/v1/admin/consents', {
      partnerId: marketer.partnerId,
      limit: 1,
    });
    expect(first.body.data).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const next = await admin(officer.accessToken, '/api/v1/admin/consents', {
      partnerId: marketer.partnerId,
      limit: 1,
      cursor: first.body.nextCursor,
    });
    expect(next.body.data).toHaveLength(1);
    expect(next.body.data[0].id).not.toBe(first.body.data[0].id);
    // A cursor belongs to its filters.
    const moved = await admin(officer.accessToken, '/api/v1/admin/consents', {
      memberId: m1,
      cursor: first.body.nextCursor,
    });
    expect(moved.status).toBe(400);
    expect(
      (await admin(officer.accessToken, '/api/v1/admin/consents', { memberId: m1, status: 'revoked' })).body
        .data,
    ).toEqual([]);
    expect((await admin(officer.accessToken, `/api/v1/admin/consents/${newId('consent')}`)).status).toBe(404);
  });

  it('after revocation refuses the next read (404), audited once with the admin and reason', async () => {
    expect((await read(marketer.token, m1)).status).toBe(200);
    const reason = `TICKET-4711 member withdrew consent by phone ${'x'.repeat(100)}`;
    const revoked = await revoke(consentM1, reason);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ id: consentM1, status: 'revoked', revokedAt: clock.now().toISOString() });

    expect((await read(marketer.token, m1)).status).toBe(404);
    expect((await listAll(marketer.token, 50)).ids).toEqual([m3]);
    expect((await feed(marketer.token)).map((e) => e.memberId)).toEqual([m3]);

    // Repeating it is a no-op: same answer, nothing audited twice.
    clock.advance(1_000);
    const again = await revoke(consentM1, 'again');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(revoked.body);
    const audited = await sql<{ actor_id: string; reason: string; resource_ids: string[] }>(
      api,
      `select actor_id, reason, resource_ids from audit_event where action = 'consent.revoke'`,
    );
    expect(audited).toEqual([
      {
        actor_id: officer.id,
        reason: reason.slice(0, 80),
        resource_ids: [consentM1, m1, marketer.partnerId],
      },
    ]);
    const shown = await admin(officer.accessToken, `/api/v1/admin/consents/${consentM1}`);
    expect(shown.body).toMatchObject({
      status: 'revoked',
      inEffect: false,
      revokedBy: officer.id,
      revocationReason: reason,
    });
  });

  it('delivers the partner a signed consent.revoked notice carrying ids and category names only', async () => {
    const [notice] = await waitFor(
      () => receiver.received('/hooks/marketer'),
      (r) => r.length >= 1,
    );
    expect(notice).toBeDefined();
    const verified = new Webhook(marketer.secret).verify(
      notice.body.toString('utf8'),
      notice.headers,
    ) as Record<string, unknown>;
    expect(verified).toMatchObject({
      type: 'consent.revoked',
      memberId: m1,
      data: { consentId: consentM1, purpose: PURPOSE, categories: ['contact'] },
    });
    // Ids and category names only: no member value travels with a revocation notice.
    expect(notice.body.toString('utf8')).not.toContain(m1Email);
  });

  it('declares the scopes of every consent route in the OpenAPI document', async () => {
    const doc = (await api.http().get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, { 'x-required-scopes'?: string[] }>>;
    };
    const declared = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/admin/consents'))
      .flatMap(([path, item]) =>
        Object.entries(item).map(
          ([method, op]) => `${method} ${path} ${(op['x-required-scopes'] ?? []).join(',')}`,
        ),
      )
      .sort();
    expect(declared).toEqual([
      'get /api/v1/admin/consents admin:consents:read',
      'get /api/v1/admin/consents/{consentId} admin:consents:read',
      'post /api/v1/admin/consents admin:consents:write',
      'post /api/v1/admin/consents/{consentId}/revoke admin:consents:write',
    ]);
  });

  it('hides the member again once the clock passes validUntil (expired, computed, no sweep)', async () => {
    const validUntil = new Date(clock.nowMs() + 60_000).toISOString();
    const created = await consent({
      memberId: m2,
      partnerId: marketer.partnerId,
      categories: ['coverage'],
      validUntil,
    });
    expect(created.status).toBe(201);
    expect((await read(marketer.token, m2)).status).toBe(200);
    clock.advance(60_000);
    expect((await read(marketer.token, m2)).status).toBe(404);
    const shown = await admin(officer.accessToken, `/api/v1/admin/consents/${created.body.id}`);
    expect(shown.body).toMatchObject({ status: 'expired', inEffect: false });
    const expired = await admin(officer.accessToken, '/api/v1/admin/consents', {
      memberId: m2,
      status: 'expired',
    });
    expect(expired.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
  });
});
