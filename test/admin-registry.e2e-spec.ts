import { createHash } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import {
  adminPost,
  createClient,
  insertMember,
  loginAdmin,
  setupPartner,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, signatureHeaders, syntheticMember, webhookSecretFor } from './support/member-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(61106);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const UNKNOWN_PARTNER = 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3H';
const UNKNOWN_CLIENT = 'cli_01JD3Q4Z5X6C7V8B9N0M1K2J3H';
const UNKNOWN_KEY = 'key_01JD3Q4Z5X6C7V8B9N0M1K2J3H';
const UNKNOWN_ADMIN = 'adm_01JD3Q4Z5X6C7V8B9N0M1K2J3H';
const UNKNOWN_ORGANIZATION = 'org_01JD3Q4Z5X6C7V8B9N0M1K2J3H';

describe('admin registry: lists, suspension and revocation through the API (issue 11 item 6)', () => {
  const clock = new ManualClock(Date.now());
  // Two API processes on one database and Redis: a change made through one must bite on the other.
  let apiA: TestApi;
  let apiB: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let operator: AdminSession;
  let redis: Redis;

  beforeAll(async () => {
    apiA = await startTestApi({ clock });
    apiB = await startTestApi({ clock, shareWith: apiA });
    officer = await loginAdmin(apiA, clock, 'compliance_officer');
    security = await loginAdmin(apiA, clock, 'security_admin');
    operator = await loginAdmin(apiA, clock, 'operator');
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await apiB?.close();
    await apiA?.close();
  });

  const get = (api: TestApi, token: string, path: string) =>
    api.http().get(path).set('authorization', `Bearer ${token}`);
  const readMember = (api: TestApi, token: string, memberId: string) =>
    get(api, token, `/api/v1/members/${memberId}`);
  const auditEvents = async (action: string) =>
    (await get(apiA, officer.accessToken, `/api/v1/admin/audit/events?action=${action}&limit=200`)).body
      .data as Array<{ actorId: string; reason: string; resourceIds: string[]; outcome: string }>;

  /** Every id of a list, walked one item per page through nextCursor. */
  async function walk(token: string, path: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 500; pages++) {
      const res = await get(
        apiA,
        token,
        `${path}?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(1);
      ids.push(...(res.body.data as Array<{ id: string }>).map((item) => item.id));
      cursor = res.body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error(`${path}: no end after 500 pages`);
  }

  /** A benefits-admin partner with a client whose token has read once (every cache warm) on `api`. */
  async function readingPartner(api: TestApi): Promise<{
    setup: PartnerSetup;
    memberId: string;
    client: { clientId: string; clientSecret?: string };
    token: string;
  }> {
    const setup = await setupPartner(apiA, officer.accessToken, { type: 'benefits_admin' });
    const memberId = await insertMember(apiA, setup.organizationId);
    const client = await createClient(apiA, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    const token = await clientToken(api, client);
    expect((await readMember(api, token, memberId)).status).toBe(200);
    expect((await readMember(api, token, memberId)).status).toBe(200);
    return { setup, memberId, client, token };
  }

  it('compliance officers can do the whole registry lifecycle through the API alone', async () => {
    // Registration.
    const organizationName = faker.company.name();
    const organization = await adminPost(apiA, officer.accessToken, '/api/v1/admin/organizations', {
      name: organizationName,
    });
    expect(organization.status).toBe(201);
    const organizationId = organization.body.id as string;
    const baa = {
      status: 'signed',
      signedAt: '2026-01-05',
      effectiveFrom: '2026-01-05',
      expiresAt: '2028-01-01',
      documentSha256: sha256(faker.lorem.paragraph()),
      permittedCategories: ['identity', 'coverage', 'membership', 'contact'],
    };
    const vendor = await adminPost(apiA, officer.accessToken, '/api/v1/admin/vendors', {
      name: faker.company.name(),
      role: 'partner',
      baa,
    });
    expect(vendor.status).toBe(201);
    const vendorId = vendor.body.id as string;
    const partner = await adminPost(apiA, officer.accessToken, '/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId,
      type: 'membership_system',
      organizationIds: [organizationId],
      categories: ['identity', 'coverage', 'membership'],
      purpose: 'sync',
      requiresConsent: false,
    });
    expect(partner.status).toBe(201);
    const partnerId = partner.body.id as string;
    const client = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${partnerId}/clients`,
      {
        authMethod: 'client_secret_basic',
        scopes: ['members:read', 'sync:write'],
      },
    );
    expect(client.status).toBe(201);
    const apiKey = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${partnerId}/api-keys`,
      {
        scopes: ['sync:write'],
        allowedCidrs: ['127.0.0.1/32'],
      },
    );
    expect(apiKey.status).toBe(201);
    const webhookSecret = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${partnerId}/webhook-secrets`,
      {},
    );
    expect(webhookSecret.status).toBe(201);

    // Lists, one item per page.
    expect(await walk(officer.accessToken, '/api/v1/admin/organizations')).toContain(organizationId);
    expect(await walk(officer.accessToken, '/api/v1/admin/vendors')).toContain(vendorId);
    expect(await walk(officer.accessToken, '/api/v1/admin/partners')).toContain(partnerId);
    expect(await walk(officer.accessToken, '/api/v1/admin/admins')).toEqual(
      expect.arrayContaining([officer.id, security.id, operator.id]),
    );
    const secrets = await get(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${partnerId}/webhook-secrets`,
    );
    expect(secrets.body.data.map((s: { id: string }) => s.id)).toEqual([webhookSecret.body.id]);
    const org = await get(apiA, officer.accessToken, `/api/v1/admin/organizations/${organizationId}`);
    expect(org.body).toMatchObject({ id: organizationId, name: organizationName });

    // The partner with its credentials, and nothing secret about them.
    const detail = await get(apiA, officer.accessToken, `/api/v1/admin/partners/${partnerId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id: partnerId,
      vendorId,
      type: 'membership_system',
      status: 'active',
      clients: [
        {
          id: client.body.clientId,
          authMethod: 'client_secret_basic',
          scopes: ['members:read', 'sync:write'],
          status: 'active',
          revokedAt: null,
        },
      ],
      apiKeys: [
        { id: apiKey.body.id, scopes: ['sync:write'], allowedCidrs: ['127.0.0.1/32'], status: 'active' },
      ],
    });
    const [, lookupPrefix, keySecret] = /^msk_([^_]+)_(.+)$/.exec(apiKey.body.key as string)!;
    for (const secret of [
      client.body.clientSecret,
      apiKey.body.key,
      lookupPrefix,
      keySecret,
      webhookSecret.body.secret,
    ]) {
      expect(detail.text).not.toContain(secret);
    }
    expect(detail.text).not.toMatch(/secretHash|lookupPrefix|"jwks"|\$argon2/);

    // BAA amended, partner suspended and reinstated, credentials revoked, BAA terminated.
    const amended = await apiA
      .http()
      .put(`/api/v1/admin/vendors/${vendorId}/baa`)
      .set('authorization', `Bearer ${officer.accessToken}`)
      .send({
        ...baa,
        permittedCategories: [...baa.permittedCategories, 'wellness'],
        reason: 'CT-1 amendment 1',
      });
    expect(amended.status).toBe(200);
    const reason = 'ticket SEC-4711';
    const suspended = await adminPost(
      apiA,
      officer.accessToken,
      `/api/v1/admin/partners/${partnerId}/suspend`,
      {
        reason,
      },
    );
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ id: partnerId, status: 'suspended', statusReason: reason });
    const reinstated = await adminPost(
      apiA,
      officer.accessToken,
      `/api/v1/admin/partners/${partnerId}/reinstate`,
      {
        reason,
      },
    );
    expect(reinstated.body).toMatchObject({ id: partnerId, status: 'active' });
    const revokedClient = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${partnerId}/clients/${client.body.clientId}/revoke`,
      { reason },
    );
    expect(revokedClient.status).toBe(200);
    expect(revokedClient.body).toMatchObject({ id: client.body.clientId, status: 'revoked' });
    const revokedKey = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${partnerId}/api-keys/${apiKey.body.id}/revoke`,
      { reason },
    );
    expect(revokedKey.status).toBe(200);
    expect(revokedKey.body).toMatchObject({ id: apiKey.body.id, status: 'revoked' });
    const terminated = await apiA
      .http()
      .put(`/api/v1/admin/vendors/${vendorId}/baa`)
      .set('authorization', `Bearer ${officer.accessToken}`)
      .send({ ...baa, status: 'terminated', reason: 'CT-1 contract ended' });
    expect(terminated.status).toBe(200);
    const after = await get(apiA, officer.accessToken, `/api/v1/admin/partners/${partnerId}`);
    expect(after.body.clients[0]).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect(after.body.apiKeys[0]).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    const vendorAfter = await get(apiA, officer.accessToken, `/api/v1/admin/vendors/${vendorId}`);
    expect(vendorAfter.body.baa.status).toBe('terminated');
  });

  it("a suspended partner's next request fails in every API process, with no cache delay", async () => {
    const { setup, memberId, client, token } = await readingPartner(apiB);
    expect((await readMember(apiA, token, memberId)).status).toBe(200);

    // Suspended through process A; the very next read through B (its caches warm) is refused.
    const reason = 'INC-77 suspected misuse';
    const suspend = await adminPost(
      apiA,
      officer.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/suspend`,
      {
        reason,
      },
    );
    expect(suspend.status).toBe(200);
    const refused = await readMember(apiB, token, memberId);
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await readMember(apiA, token, memberId)).status).toBe(401);
    const failures = (await auditEvents('access.authenticate')).slice(0, 2);
    expect(failures.map((e) => e.reason)).toEqual(['partner_suspended', 'partner_suspended']);
    // Neither can it get a new token.
    const newToken = await apiB
      .http()
      .post('/oauth/token')
      .auth(client.clientId, client.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(newToken.status).toBe(401);
    expect(newToken.body.error).toBe('invalid_client');

    // Repeating it is a no-op: same answer, no second audit event.
    const again = await adminPost(
      apiA,
      officer.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/suspend`,
      {
        reason: 'again',
      },
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'suspended', statusReason: reason });
    expect(
      (await auditEvents('partner.suspend')).filter((e) => e.resourceIds.includes(setup.partnerId)),
    ).toHaveLength(1);

    // Reinstated through B: reads work again at once through A.
    const reinstate = await adminPost(
      apiB,
      officer.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/reinstate`,
      {
        reason: 'INC-77 cleared',
      },
    );
    expect(reinstate.status).toBe(200);
    expect((await readMember(apiA, token, memberId)).status).toBe(200);
    expect((await readMember(apiB, token, memberId)).status).toBe(200);
  });

  it('the deny marker is what bites before the cache expires, and the database decides after', async () => {
    const { setup, memberId, token } = await readingPartner(apiB);
    expect(
      (
        await adminPost(apiA, officer.accessToken, `/api/v1/admin/partners/${setup.partnerId}/suspend`, {
          reason: 'INC-78',
        })
      ).status,
    ).toBe(200);
    expect((await readMember(apiB, token, memberId)).status).toBe(401);

    // Positive control: without the marker, B's warm cache still holds the partner as active...
    await redis.del(`${apiA.config.redis.keyPrefix}:denied:partner:${setup.partnerId}`);
    expect((await readMember(apiB, token, memberId)).status).toBe(200);
    // ...until it expires: then the database's status refuses, marker or not.
    clock.advance(31_000);
    expect((await readMember(apiB, token, memberId)).status).toBe(401);
  });

  it("a revoked client's token fails at once and the token endpoint refuses the client", async () => {
    const { setup, memberId, client, token } = await readingPartner(apiB);
    const revoke = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/clients/${client.clientId}/revoke`,
      { reason: 'INC-79 secret leaked' },
    );
    expect(revoke.status).toBe(200);
    expect((await readMember(apiB, token, memberId)).status).toBe(401);
    expect((await readMember(apiA, token, memberId)).status).toBe(401);
    for (const api of [apiA, apiB]) {
      const refused = await api
        .http()
        .post('/oauth/token')
        .auth(client.clientId, client.clientSecret!)
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
    }
    // Repeating it is a no-op (200, same state), and a client of another partner is not found.
    const again = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/clients/${client.clientId}/revoke`,
      { reason: 'again' },
    );
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('revoked');
    const other = await setupPartner(apiA, officer.accessToken);
    const wrongPartner = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${other.partnerId}/clients/${client.clientId}/revoke`,
      { reason: 'wrong partner' },
    );
    expect(wrongPartner.status).toBe(404);
  });

  it('a revoked API key fails at once, right after a successful use', async () => {
    const setup = await setupPartner(apiA, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const created = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/api-keys`,
      {
        scopes: ['sync:write'],
        allowedCidrs: ['127.0.0.1/32'],
      },
    );
    expect(created.status).toBe(201);
    const secret = await webhookSecretFor(apiA, setup.partnerId);
    const createMember = (api: TestApi) => {
      const text = JSON.stringify(syntheticMember(setup.organizationId));
      return api
        .http()
        .post('/api/v1/members')
        .set('x-api-key', created.body.key)
        .set('content-type', 'application/json')
        .set(signatureHeaders(api, secret, text))
        .send(text);
    };
    expect((await createMember(apiB)).status).toBe(201);
    const revoke = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/api-keys/${created.body.id}/revoke`,
      { reason: 'INC-80 key in a public repo' },
    );
    expect(revoke.status).toBe(200);
    expect((await createMember(apiB)).status).toBe(401);
    expect((await createMember(apiA)).status).toBe(401);
  });

  it("a suspended partner's API key fails at once too", async () => {
    const setup = await setupPartner(apiA, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const created = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${setup.partnerId}/api-keys`,
      {
        scopes: ['sync:write'],
        allowedCidrs: ['127.0.0.1/32'],
      },
    );
    const secret = await webhookSecretFor(apiA, setup.partnerId);
    const createMember = () => {
      const text = JSON.stringify(syntheticMember(setup.organizationId));
      return apiB
        .http()
        .post('/api/v1/members')
        .set('x-api-key', created.body.key)
        .set('content-type', 'application/json')
        .set(signatureHeaders(apiB, secret, text))
        .send(text);
    };
    expect((await createMember()).status).toBe(201);
    await adminPost(apiA, officer.accessToken, `/api/v1/admin/partners/${setup.partnerId}/suspend`, {
      reason: 'INC-81',
    });
    expect((await createMember()).status).toBe(401);
  });

  it("a disabled admin's session token and refresh token fail at once; an admin cannot disable itself", async () => {
    const staff = await loginAdmin(apiA, clock, 'operator');
    expect((await get(apiB, staff.accessToken, '/api/v1/admin/partners')).status).toBe(200);

    const self = await adminPost(apiA, security.accessToken, `/api/v1/admin/admins/${security.id}/disable`, {
      reason: 'oops',
    });
    expect(self.status).toBe(409);

    const disable = await adminPost(apiA, security.accessToken, `/api/v1/admin/admins/${staff.id}/disable`, {
      reason: 'HR-12 left the company',
    });
    expect(disable.status).toBe(200);
    expect(disable.body).toMatchObject({ id: staff.id, status: 'disabled', disabledAt: expect.any(String) });
    expect(disable.text).not.toMatch(/passwordHash|totp/i);
    expect((await get(apiB, staff.accessToken, '/api/v1/admin/partners')).status).toBe(401);
    expect((await get(apiA, staff.accessToken, '/api/v1/admin/partners')).status).toBe(401);
    const refresh = await apiA
      .http()
      .post('/api/v1/admin/session/refresh')
      .send({ refreshToken: staff.refreshToken });
    expect(refresh.status).toBe(401);

    const list = await get(apiA, security.accessToken, '/api/v1/admin/admins?limit=200');
    expect(list.body.data.find((a: { id: string }) => a.id === staff.id)).toMatchObject({
      email: staff.email,
      role: 'operator',
      status: 'disabled',
    });
  });

  it('every change is in the audit trail with the admin and the reason', async () => {
    const { setup, client } = await readingPartner(apiA);
    const keyPartner = await setupPartner(apiA, officer.accessToken, { type: 'membership_system' });
    const key = await adminPost(
      apiA,
      security.accessToken,
      `/api/v1/admin/partners/${keyPartner.partnerId}/api-keys`,
      {
        scopes: ['sync:write'],
        allowedCidrs: ['127.0.0.1/32'],
      },
    );
    const staff = await loginAdmin(apiA, clock, 'operator');
    const reason = (ticket: string) => `${ticket} ${faker.lorem.sentence()}`.slice(0, 120);
    const changes: Array<{
      action: string;
      admin: AdminSession;
      path: string;
      reason: string;
      resource: string;
    }> = [
      {
        action: 'partner.suspend',
        admin: officer,
        path: `/api/v1/admin/partners/${setup.partnerId}/suspend`,
        reason: reason('A-1'),
        resource: setup.partnerId,
      },
      {
        action: 'partner.reinstate',
        admin: security,
        path: `/api/v1/admin/partners/${setup.partnerId}/reinstate`,
        reason: reason('A-2'),
        resource: setup.partnerId,
      },
      {
        action: 'client.revoke',
        admin: security,
        path: `/api/v1/admin/partners/${setup.partnerId}/clients/${client.clientId}/revoke`,
        reason: reason('A-3'),
        resource: client.clientId,
      },
      {
        action: 'api_key.revoke',
        admin: security,
        path: `/api/v1/admin/partners/${keyPartner.partnerId}/api-keys/${key.body.id}/revoke`,
        reason: reason('A-4'),
        resource: key.body.id,
      },
      {
        action: 'admin_user.disable',
        admin: security,
        path: `/api/v1/admin/admins/${staff.id}/disable`,
        reason: reason('A-5'),
        resource: staff.id,
      },
    ];
    for (const change of changes) {
      const res = await adminPost(apiA, change.admin.accessToken, change.path, { reason: change.reason });
      expect({ action: change.action, status: res.status }).toEqual({ action: change.action, status: 200 });
    }
    for (const change of changes) {
      const events = (await auditEvents(change.action)).filter((e) =>
        e.resourceIds.includes(change.resource),
      );
      expect({ action: change.action, events }).toEqual({
        action: change.action,
        events: [
          expect.objectContaining({
            actorId: change.admin.id,
            reason: change.reason.slice(0, 80),
            outcome: 'success',
          }),
        ],
      });
    }
  });

  describe('refusals', () => {
    let setup: PartnerSetup;
    beforeAll(async () => {
      setup = await setupPartner(apiA, officer.accessToken);
    });

    it('an operator cannot suspend a partner (403)', async () => {
      const res = await adminPost(
        apiA,
        operator.accessToken,
        `/api/v1/admin/partners/${setup.partnerId}/suspend`,
        {
          reason: 'not mine to do',
        },
      );
      expect(res.status).toBe(403);
    });

    it('a compliance officer cannot disable an admin nor revoke credentials (403)', async () => {
      const disable = await adminPost(
        apiA,
        officer.accessToken,
        `/api/v1/admin/admins/${operator.id}/disable`,
        {
          reason: 'not mine to do',
        },
      );
      expect(disable.status).toBe(403);
      const client = await createClient(apiA, security.accessToken, setup.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read'],
      });
      const revoke = await adminPost(
        apiA,
        officer.accessToken,
        `/api/v1/admin/partners/${setup.partnerId}/clients/${client.clientId}/revoke`,
        { reason: 'not mine to do' },
      );
      expect(revoke.status).toBe(403);
      const operatorList = await get(apiA, operator.accessToken, '/api/v1/admin/admins');
      expect(operatorList.status).toBe(403);
    });

    it('a partner token on the admin registry routes is refused (403)', async () => {
      const client = await createClient(apiA, security.accessToken, setup.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read'],
      });
      const token = await clientToken(apiA, client);
      for (const path of [
        '/api/v1/admin/partners',
        `/api/v1/admin/partners/${setup.partnerId}`,
        '/api/v1/admin/admins',
        '/api/v1/admin/organizations',
      ]) {
        expect({ path, status: (await get(apiA, token, path)).status }).toEqual({ path, status: 403 });
      }
      const suspend = await adminPost(apiA, token, `/api/v1/admin/partners/${setup.partnerId}/suspend`, {
        reason: 'self-service',
      });
      expect(suspend.status).toBe(403);
    });

    it('unknown ids answer 404', async () => {
      const cases: Array<[AdminSession, string, 'get' | 'post']> = [
        [officer, `/api/v1/admin/partners/${UNKNOWN_PARTNER}`, 'get'],
        [officer, `/api/v1/admin/organizations/${UNKNOWN_ORGANIZATION}`, 'get'],
        [officer, `/api/v1/admin/partners/${UNKNOWN_PARTNER}/suspend`, 'post'],
        [officer, `/api/v1/admin/partners/${UNKNOWN_PARTNER}/reinstate`, 'post'],
        [security, `/api/v1/admin/partners/${setup.partnerId}/clients/${UNKNOWN_CLIENT}/revoke`, 'post'],
        [security, `/api/v1/admin/partners/${setup.partnerId}/api-keys/${UNKNOWN_KEY}/revoke`, 'post'],
        [security, `/api/v1/admin/admins/${UNKNOWN_ADMIN}/disable`, 'post'],
      ];
      for (const [admin, path, method] of cases) {
        const res =
          method === 'get'
            ? await get(apiA, admin.accessToken, path)
            : await adminPost(apiA, admin.accessToken, path, { reason: 'probe' });
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
    });

    it('a change without a one-line reason of 1-200 characters is refused (400)', async () => {
      const path = `/api/v1/admin/partners/${setup.partnerId}/suspend`;
      for (const body of [
        {},
        { reason: '' },
        { reason: 'two\nlines' },
        { reason: 'x'.repeat(201) },
        { reason: 7 },
      ]) {
        const res = await adminPost(apiA, officer.accessToken, path, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      const partner = await get(apiA, officer.accessToken, `/api/v1/admin/partners/${setup.partnerId}`);
      expect(partner.body.status).toBe('active');
    });

    it('malformed ids, page sizes over 200 and forged cursors are refused (400)', async () => {
      for (const path of [
        '/api/v1/admin/partners/not-an-id',
        '/api/v1/admin/partners?limit=201',
        '/api/v1/admin/organizations?cursor=forged',
        '/api/v1/admin/admins?limit=0',
      ]) {
        const res = await get(apiA, officer.accessToken, path);
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
      }
      // One list's cursor is not accepted by another list.
      const page = await get(apiA, officer.accessToken, '/api/v1/admin/partners?limit=1');
      expect(page.body.nextCursor).toEqual(expect.any(String));
      const crossed = await get(
        apiA,
        officer.accessToken,
        `/api/v1/admin/organizations?cursor=${encodeURIComponent(page.body.nextCursor)}`,
      );
      expect(crossed.status).toBe(400);
    });
  });
});
