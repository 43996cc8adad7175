import { ManualClock } from '@app/common';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
} from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

// A well-formed member id that matches no member: an authorized partner gets 404, never 400.
const MISSING_MEMBER = '/api/v1/members/mbr_00000000000000000000000000';
const JWKS = '/.well-known/jwks.json';
// High enough that a budget the test is not about never interferes.
const UNLIMITED = '1000';

type Response = Awaited<ReturnType<ReturnType<TestApi['http']>['get']>>;

function expectRateLimited(res: Response, limit: string): void {
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.headers['ratelimit-limit']).toBe(limit);
  expect(res.headers['ratelimit-remaining']).toBe('0');
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.type).toMatch(/\/rate-limited$/);
  expect(res.body.status).toBe(429);
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
}

function tokenRequestWithoutCredentials(api: TestApi) {
  return api.http().post('/oauth/token').type('form').send({ grant_type: 'client_credentials' });
}

describe('rate limits', () => {
  describe('across API processes', () => {
    let apiA: TestApi;
    let apiB: TestApi;

    beforeAll(async () => {
      const env = { RATE_LIMIT_IP_PER_MINUTE: '6' };
      apiA = await startTestApi({ env });
      apiB = await startTestApi({ env, shareWith: apiA });
    });
    afterAll(async () => {
      await apiB?.close();
      await apiA?.close();
    });

    it('two API processes share one rate-limit budget', async () => {
      const processFor = (n: number) => (n % 2 === 1 ? apiA : apiB);
      for (let n = 1; n <= 6; n++) {
        const res = await processFor(n).http().get(JWKS);
        expect({ n, status: res.status }).toEqual({ n, status: 200 });
        expect(res.headers['ratelimit-limit']).toBe('6');
        // Request 1 on A leaves 5, request 2 on B leaves 4: one counter, not one per process.
        expect({ n, remaining: res.headers['ratelimit-remaining'] }).toEqual({ n, remaining: String(6 - n) });
      }

      const seventh = await processFor(7).http().get(JWKS);
      expectRateLimited(seventh, '6');

      // The other process refuses too: the budget is spent everywhere, not only where it ran out.
      const eighth = await processFor(8).http().get(JWKS);
      expectRateLimited(eighth, '6');
    });
  });

  describe('on credential endpoints', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApi({
        env: { RATE_LIMIT_IP_PER_MINUTE: '100', RATE_LIMIT_AUTH_PER_MINUTE: '3' },
      });
    });
    afterAll(async () => {
      await api?.close();
    });

    it('the token endpoint has a stricter per-IP limit than the rest', async () => {
      for (let n = 1; n <= 3; n++) {
        const res = await tokenRequestWithoutCredentials(api);
        expect({ n, status: res.status }).toEqual({ n, status: 401 });
        expect(res.headers['ratelimit-limit']).toBe('3');
        expect(res.headers['ratelimit-remaining']).toBe(String(3 - n));
      }

      expectRateLimited(await tokenRequestWithoutCredentials(api), '3');

      // The same IP keeps its general budget: 100 per minute, of which the 4 token requests and this one used 5.
      const jwks = await api.http().get(JWKS);
      expect(jwks.status).toBe(200);
      expect(jwks.headers['ratelimit-limit']).toBe('100');
      expect(jwks.headers['ratelimit-remaining']).toBe('95');
    });
  });

  describe('per authenticated client', () => {
    const clock = new ManualClock(Date.now());
    // Admin set-up runs on a process with the default per-principal budget (setupPartner alone makes
    // four admin calls); the partner calls go to a second process sharing its database and Redis and,
    // as behind one load balancer, its public URL (passport's 'jwt' strategy is per Node process, so
    // the second app's issuer check applies to both here).
    let adminApi: TestApi;
    let partnerApi: TestApi;
    let first: { clientId: string; clientSecret?: string };
    let second: { clientId: string; clientSecret?: string };

    beforeAll(async () => {
      adminApi = await startTestApi({ clock });
      partnerApi = await startTestApi({
        clock,
        shareWith: adminApi,
        env: {
          RATE_LIMIT_CLIENT_PER_MINUTE: '3',
          RATE_LIMIT_IP_PER_MINUTE: UNLIMITED,
          RATE_LIMIT_AUTH_PER_MINUTE: UNLIMITED,
        },
      });
      const officer = await loginAdmin(adminApi, clock, 'compliance_officer');
      const security = await loginAdmin(adminApi, clock, 'security_admin');
      const { partnerId } = await setupPartner(adminApi, officer.accessToken, { type: 'benefits_admin' });
      const newClient = () =>
        createClient(adminApi, security.accessToken, partnerId, {
          authMethod: 'client_secret_basic',
          scopes: ['members:read'],
        });
      first = await newClient();
      second = await newClient();
    });
    afterAll(async () => {
      await partnerApi?.close();
      await adminApi?.close();
    });

    async function tokenFor(client: { clientId: string; clientSecret?: string }): Promise<string> {
      const res = await partnerApi
        .http()
        .post('/oauth/token')
        .auth(client.clientId, client.clientSecret!)
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      return res.body.access_token;
    }

    const readMissingMember = (token: string) =>
      partnerApi.http().get(MISSING_MEMBER).set('authorization', `Bearer ${token}`);

    it('the per-client budget applies to an authenticated client', async () => {
      const token = await tokenFor(first);
      for (let n = 1; n <= 3; n++) {
        const res = await readMissingMember(token);
        expect({ n, status: res.status }).toEqual({ n, status: 404 });
        expect(res.headers['ratelimit-limit']).toBe('3');
        expect(res.headers['ratelimit-remaining']).toBe(String(3 - n));
      }
      expectRateLimited(await readMissingMember(token), '3');

      // Another client of the same partner, from the same IP, still has its own budget.
      const other = await readMissingMember(await tokenFor(second));
      expect(other.status).toBe(404);
      expect(other.headers['ratelimit-remaining']).toBe('2');
    });
  });

  describe('authentication failure alerts', () => {
    const clock = new ManualClock(Date.now());
    let api: TestApi;
    let officer: AdminSession;

    beforeAll(async () => {
      api = await startTestApi({
        clock,
        env: {
          AUTH_FAILURE_ALERT_THRESHOLD: '5',
          RATE_LIMIT_IP_PER_MINUTE: UNLIMITED,
          RATE_LIMIT_AUTH_PER_MINUTE: UNLIMITED,
          RATE_LIMIT_CLIENT_PER_MINUTE: UNLIMITED,
        },
      });
      officer = await loginAdmin(api, clock, 'compliance_officer');
    });
    afterAll(async () => {
      await api?.close();
    });

    const alerts = () =>
      sql<{ type: string; subject: string; severity: string }>(
        api,
        `select type, subject, severity from alert order by raised_at`,
      );

    const withGarbageBearer = () =>
      api.http().get(MISSING_MEMBER).set('authorization', 'Bearer not-a-real-token');

    it('repeated authentication failures raise one alert and normal traffic raises none', async () => {
      for (let n = 1; n <= 10; n++) {
        const res = await adminPost(api, officer.accessToken, '/api/v1/admin/organizations', {
          name: `Rate limit organization ${n}`,
        });
        expect({ n, status: res.status }).toEqual({ n, status: 201 });
      }
      expect(await alerts()).toEqual([]);

      for (let n = 1; n <= 4; n++) expect((await withGarbageBearer()).status).toBe(401);
      expect(await alerts()).toEqual([]);

      expect((await withGarbageBearer()).status).toBe(401);
      expect(await alerts()).toEqual([{ type: 'auth_failures', subject: 'ip:127.0.0.1', severity: 'high' }]);

      for (let n = 1; n <= 3; n++) expect((await withGarbageBearer()).status).toBe(401);
      expect(await alerts()).toHaveLength(1);
    });
  });

  describe('authentication failure alerts at the OAuth endpoints', () => {
    const clock = new ManualClock(Date.now());
    // Documentation addresses (RFC 5737), told apart through a trusted proxy's X-Forwarded-For.
    const ATTACKER = '203.0.113.7';
    const CLIENT_HOST = '198.51.100.10';
    const REVOKE_PROBER = '192.0.2.44';
    let api: TestApi;
    let client: { clientId: string; clientSecret?: string };
    let partnerId: string;

    beforeAll(async () => {
      api = await startTestApi({
        clock,
        env: {
          AUTH_FAILURE_ALERT_THRESHOLD: '5',
          TRUST_PROXY: 'true',
          RATE_LIMIT_IP_PER_MINUTE: UNLIMITED,
          RATE_LIMIT_AUTH_PER_MINUTE: UNLIMITED,
          RATE_LIMIT_CLIENT_PER_MINUTE: UNLIMITED,
        },
      });
      const officer = await loginAdmin(api, clock, 'compliance_officer');
      const security = await loginAdmin(api, clock, 'security_admin');
      ({ partnerId } = await setupPartner(api, officer.accessToken, { type: 'benefits_admin' }));
      client = await createClient(api, security.accessToken, partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read'],
      });
    });
    afterAll(async () => {
      await api?.close();
    });

    const alerts = () =>
      sql<{ type: string; subject: string; severity: string }>(
        api,
        `select type, subject, severity from alert order by raised_at`,
      );
    const tokenRequest = (from: string, secret: string) =>
      api
        .http()
        .post('/oauth/token')
        .set('x-forwarded-for', from)
        .auth(client.clientId, secret)
        .type('form')
        .send({ grant_type: 'client_credentials' });

    it('bad secrets for a real client id from an attacker alert on the attacker address, never naming the client', async () => {
      expect((await tokenRequest(CLIENT_HOST, client.clientSecret!)).status).toBe(200);
      for (let n = 1; n <= 8; n++) {
        expect((await tokenRequest(ATTACKER, `not-the-secret-${n}`)).status).toBe(401);
      }
      const raised = await alerts();
      expect(raised).toEqual([{ type: 'auth_failures', subject: `ip:${ATTACKER}`, severity: 'high' }]);
      expect(JSON.stringify(raised)).not.toContain(client.clientId);
      // The client itself is untouched: it still gets its tokens.
      expect((await tokenRequest(CLIENT_HOST, client.clientSecret!)).status).toBe(200);
    });

    it('repeated failed client authentication at the revocation endpoint is counted and alerts', async () => {
      for (let n = 1; n <= 5; n++) {
        const res = await api
          .http()
          .post('/oauth/revoke')
          .set('x-forwarded-for', REVOKE_PROBER)
          .auth(client.clientId, `not-the-secret-${n}`)
          .type('form')
          .send({ token: `not-a-token-${n}` });
        expect({ n, status: res.status }).toEqual({ n, status: 401 });
      }
      expect(await alerts()).toContainEqual({
        type: 'auth_failures',
        subject: `ip:${REVOKE_PROBER}`,
        severity: 'high',
      });
      const refused = await sql<{ n: string }>(
        api,
        `select count(*) as n from audit_event where action = 'token.revoke' and outcome = 'failure' and ip = $1`,
        [REVOKE_PROBER],
      );
      expect(refused).toEqual([{ n: '5' }]);
    });

    it('counts refusals against the client once the caller proved it holds the client credential', async () => {
      await sql(api, `update partner set status = 'suspended' where id = $1`, [partnerId]);
      // Past the partner cache's life, so the suspension is seen.
      clock.advance(5 * 60_000);
      for (let n = 1; n <= 5; n++) {
        expect((await tokenRequest(CLIENT_HOST, client.clientSecret!)).status).toBe(401);
      }
      expect(await alerts()).toContainEqual({
        type: 'auth_failures',
        subject: `client:${client.clientId}`,
        severity: 'high',
      });
    });
  });

  describe('reset and retry hints', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApi({ env: { RATE_LIMIT_IP_PER_MINUTE: '1' } });
    });
    afterAll(async () => {
      await api?.close();
    });

    it('tells a client how long the one-minute window really lasts', async () => {
      const allowed = await api.http().get(JWKS);
      expect(allowed.status).toBe(200);
      expect(Number(allowed.headers['ratelimit-reset'])).toBeGreaterThan(50);

      const refused = await api.http().get(JWKS);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    });
  });
});
