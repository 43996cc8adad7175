import { ManualClock, newId } from '@app/common';
import {
  createClient,
  insertMember,
  loginAdmin,
  setupPartner,
  sql,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

type Credentials = { clientId: string; clientSecret?: string };

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
    mbr?: string;
    jti: string;
    iat: number;
    exp: number;
  };

/** What a client can tell two refusals apart by (the request id and instance always differ). */
const problemOf = (body: Record<string, unknown>) => {
  const { instance: _i, requestId: _r, ...rest } = body;
  return rest;
};

describe('member-scoped tokens for wellness apps (client credentials naming member_id)', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let wellness: PartnerSetup;
  let app: Credentials;
  let carrier: Credentials;
  let memberA: string;
  let memberB: string;
  let elsewhere: string;
  let scoped: string;

  const requestToken = (credentials: Credentials, form: Record<string, string>) =>
    api
      .http()
      .post('/oauth/token')
      .auth(credentials.clientId, credentials.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials', ...form });
  const get = (token: string, path: string) => api.http().get(path).set('authorization', `Bearer ${token}`);
  const read = (token: string, id: string) => get(token, `/api/v1/members/${id}`);

  async function lastEvent(action: string) {
    const [row] = await sql<{ outcome: string; reason: string | null; resource_ids: string[] | null }>(
      api,
      `select outcome, reason, resource_ids from audit_event where action = $1 order by seq desc limit 1`,
      [action],
    );
    return row;
  }

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    wellness = await setupPartner(api, officer.accessToken, {
      type: 'wellness_app',
      categories: ['identity', 'coverage'],
    });
    app = await createClient(api, security.accessToken, wellness.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read', 'changes:read', 'subscriptions:manage'],
    });
    const carrierSetup = await setupPartner(api, officer.accessToken, {
      type: 'carrier',
      categories: ['coverage'],
    });
    carrier = await createClient(api, security.accessToken, carrierSetup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members.eligibility:read'],
    });
    memberA = await insertMember(api, wellness.organizationId);
    memberB = await insertMember(api, wellness.organizationId);
    elsewhere = await insertMember(api, wellness.otherOrganizationId);
  });
  afterAll(() => api.close());

  it('issues a wellness app a 5-minute members:read token naming the member, audited with its id', async () => {
    const res = await requestToken(app, { member_id: memberA });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({ token_type: 'Bearer', expires_in: 300, scope: 'members:read' }),
    );
    scoped = res.body.access_token as string;
    const claims = claimsOf(scoped);
    expect(claims.mbr).toBe(memberA);
    expect(claims.exp - claims.iat).toBe(300);
    expect(await lastEvent('token.issue')).toEqual({
      outcome: 'success',
      reason: 'member_scoped',
      resource_ids: [claims.jti, memberA],
    });
  });

  it('reads its member, also once its claims are cached', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await read(scoped, memberA);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(memberA);
    }
  });

  it('answers any other member of the same organization 404, exactly like an unknown member', async () => {
    const sibling = await read(scoped, memberB);
    const unknown = await read(scoped, newId('member'));
    expect(sibling.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(problemOf(sibling.body)).toEqual(problemOf(unknown.body));
    const [denied] = await sql<{ reason: string }>(
      api,
      `select reason from audit_event where action = 'member.read' and outcome = 'denied'
        and resource_ids = array[$1]::text[]`,
      [memberB],
    );
    expect(denied).toEqual({ reason: 'outside_member_scope' });
  });

  it('holds no scope off its member’s route: list, change feed, subscriptions and writes answer 403', async () => {
    const answers = [
      await get(scoped, '/api/v1/members'),
      await get(scoped, '/api/v1/changes'),
      await get(scoped, '/api/v1/webhook-subscriptions'),
      await api
        .http()
        .put(`/api/v1/members/${memberA}/preferences`)
        .set('authorization', `Bearer ${scoped}`)
        .set('idempotency-key', 'scoped-token-write')
        .set('if-match', '"1"')
        .send({ channel: 'email', language: 'en', marketingOptIn: false }),
    ];
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect(await lastEvent('access.authorize')).toEqual(
      expect.objectContaining({ outcome: 'denied', reason: 'missing_scope' }),
    );
  });

  it('refuses a carrier asking for a member-scoped token', async () => {
    const res = await requestToken(carrier, { member_id: memberA });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
    expect(await lastEvent('token.issue')).toEqual(
      expect.objectContaining({ outcome: 'denied', reason: 'member_token_not_allowed' }),
    );
  });

  it('refuses a member of an organization the partner cannot see exactly like an unknown one', async () => {
    const invisible = await requestToken(app, { member_id: elsewhere });
    expect(await lastEvent('token.issue')).toEqual(
      expect.objectContaining({ outcome: 'denied', reason: 'member_not_visible' }),
    );
    const unknown = await requestToken(app, { member_id: newId('member') });
    expect(await lastEvent('token.issue')).toEqual(
      expect.objectContaining({ outcome: 'denied', reason: 'member_not_found' }),
    );
    expect(invisible.status).toBe(400);
    expect(invisible.body.error).toBe('invalid_request');
    expect(problemOf(invisible.body)).toEqual(problemOf(unknown.body));
  });

  it('refuses any scope but members:read, and a malformed member id', async () => {
    const wider = await requestToken(app, { member_id: memberA, scope: 'members:read changes:read' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    const malformed = await requestToken(app, { member_id: '123-45-6789' });
    expect(malformed.status).toBe(400);
    expect(malformed.text).not.toContain('123-45-6789');
  });

  it('lets a normal token of the same client read the other member and list', async () => {
    const normal = await clientToken(api, app);
    expect(claimsOf(normal).mbr).toBeUndefined();
    expect((await read(normal, memberB)).status).toBe(200);
    expect((await get(normal, '/api/v1/members')).status).toBe(200);
  });

  it('expires after five minutes, while a normal token issued with it still works', async () => {
    const fresh = (await requestToken(app, { member_id: memberA })).body.access_token as string;
    const normal = await clientToken(api, app);
    expect((await read(fresh, memberA)).status).toBe(200);
    // Past exp and the 60 s clock tolerance.
    clock.advance((300 + 61) * 1000);
    const expired = await read(fresh, memberA);
    expect(expired.status).toBe(401);
    expect(await lastEvent('access.authenticate')).toEqual(
      expect.objectContaining({ outcome: 'failure', reason: 'token_expired' }),
    );
    expect((await read(normal, memberB)).status).toBe(200);
  });
});
