import { Strategy as PassportJwtStrategy } from 'passport-jwt';
import { ManualClock } from '@app/common';
import {
  adminPost,
  createClient,
  insertMember,
  loginAdmin,
  setupPartner,
  sql,
  type PartnerSetup,
} from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

// Past the client and partner caches' 30 s, so a status change in the database is seen.
const PAST_STATUS_CACHES_MS = 31_000;

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number };
const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

describe('verified-token cache', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let setup: PartnerSetup;
  let memberId: string;
  let client: { clientId: string; clientSecret?: string };
  // passport-jwt calls its JwtVerifier (jsonwebtoken) for every token it verifies; counting those
  // calls tells a cache hit from a fresh verification.
  let verifier: jest.SpyInstance;

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { AUTH_FAILURE_ALERT_THRESHOLD: '1000', RATE_LIMIT_AUTH_PER_MINUTE: '1000' },
    });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    setup = await setupPartner(api, officer.accessToken);
    memberId = await insertMember(api, setup.organizationId);
    client = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    verifier = jest.spyOn(PassportJwtStrategy as unknown as { JwtVerifier: () => void }, 'JwtVerifier');
  });
  afterAll(async () => {
    verifier.mockRestore();
    await api.close();
  });

  async function tokenFor(credentials: { clientId: string; clientSecret?: string }): Promise<string> {
    const res = await api
      .http()
      .post('/oauth/token')
      .auth(credentials.clientId, credentials.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
    return res.body.access_token as string;
  }

  const read = (token: string, id = memberId) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);
  const verificationsOf = (token: string) => verifier.mock.calls.filter((call) => call[0] === token).length;

  async function lastAuthFailure(): Promise<string> {
    const rows = await sql<{ reason: string }>(
      api,
      `select reason from audit_event where action = 'access.authenticate' order by id desc limit 1`,
    );
    return rows[0]?.reason;
  }

  async function expectRefused(token: string, reason: string, id = memberId): Promise<void> {
    const res = await read(token, id);
    expect(res.status).toBe(401);
    expect(await lastAuthFailure()).toBe(reason);
  }

  it('verifies a token once and serves its repeated uses from the cache', async () => {
    const token = await tokenFor(client);
    for (let n = 0; n < 3; n++) expect((await read(token)).status).toBe(200);
    expect(verificationsOf(token)).toBe(1);
  });

  it('refuses a cached token exactly when the uncached path would: at exp + 60 s by the test clock', async () => {
    const token = await tokenFor(client);
    expect((await read(token)).status).toBe(200);
    const { exp } = claimsOf(token);

    clock.set(new Date((exp + 59) * 1000));
    expect((await read(token)).status).toBe(200);
    expect(verificationsOf(token)).toBe(1);

    clock.set(new Date((exp + 60) * 1000));
    await expectRefused(token, 'token_expired');
  });

  it('refuses a revoked token at once even though its verification is cached', async () => {
    const token = await tokenFor(client);
    expect((await read(token)).status).toBe(200);
    const revoke = await api
      .http()
      .post('/oauth/revoke')
      .auth(client.clientId, client.clientSecret!)
      .type('form')
      .send({ token });
    expect(revoke.status).toBe(200);

    await expectRefused(token, 'token_revoked');
    expect(verificationsOf(token)).toBe(1);
  });

  it('refuses a token with one character changed instead of serving it from the cache', async () => {
    const token = await tokenFor(client);
    expect((await read(token)).status).toBe(200);
    const [header, payload, signature] = token.split('.');
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === 'A' ? 'B' : 'A';
    const tampered = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;

    await expectRefused(tampered, 'bad_signature');
    expect(verificationsOf(tampered)).toBe(1);
    expect((await read(token)).status).toBe(200);
  });

  it('refuses a cached token once its client is revoked', async () => {
    const security = await loginAdmin(api, clock, 'security_admin');
    const doomed = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    const token = await tokenFor(doomed);
    expect((await read(token)).status).toBe(200);
    await sql(api, `update oauth_client set status = 'revoked' where id = $1`, [doomed.clientId]);
    clock.advance(PAST_STATUS_CACHES_MS);

    await expectRefused(token, 'client_revoked');
    expect(verificationsOf(token)).toBe(1);
  });

  it('refuses a cached token once its partner is suspended', async () => {
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    const other = await setupPartner(api, officer.accessToken);
    const otherMember = await insertMember(api, other.organizationId);
    const otherClient = await createClient(api, security.accessToken, other.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    const token = await tokenFor(otherClient);
    expect((await read(token, otherMember)).status).toBe(200);
    await sql(api, `update partner set status = 'suspended' where id = $1`, [other.partnerId]);
    clock.advance(PAST_STATUS_CACHES_MS);

    await expectRefused(token, 'partner_suspended', otherMember);
    expect(verificationsOf(token)).toBe(1);
  });

  it('stops honouring a cached token once its signing key is withdrawn', async () => {
    const security = await loginAdmin(api, clock, 'security_admin');
    const token = await tokenFor(client);
    expect((await read(token)).status).toBe(200);
    // Withdraw the key early (as after a compromise): retired a day ago by the test clock, so it is
    // past its grace; the next rotation reloads the key set in this process.
    const rotated = await adminPost(api, security.accessToken, '/api/v1/admin/signing-keys/rotate', {});
    expect(rotated.body.retiredKid).toBe(kidOf(token));
    await sql(api, `update signing_key set retired_at = $2 where kid = $1`, [
      kidOf(token),
      new Date(clock.nowMs() - 24 * 3600_000),
    ]);
    expect((await adminPost(api, security.accessToken, '/api/v1/admin/signing-keys/rotate', {})).status).toBe(
      201,
    );

    await expectRefused(token, 'unknown_signing_key');
    expect((await read(await tokenFor(client))).status).toBe(200);
  });
});
