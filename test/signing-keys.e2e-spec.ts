import { ManualClock } from '@app/common';
import {
  adminPost,
  createClient,
  insertMember,
  loginAdmin,
  setupPartner,
  sql,
} from './support/identity-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

describe('token-signing key rotation', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ clock });
  });
  afterAll(() => api.close());

  it('keeps the retired key in the JWKS until its tokens have expired, and signs new tokens with the new key', async () => {
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    const setup = await setupPartner(api, officer.accessToken);
    const memberId = await insertMember(api, setup.organizationId);
    const client = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    const token = async () =>
      (
        await api
          .http()
          .post('/oauth/token')
          .auth(client.clientId, client.clientSecret!)
          .type('form')
          .send({ grant_type: 'client_credentials' })
      ).body.access_token as string;
    const read = (bearer: string) =>
      api.http().get(`/api/v1/members/${memberId}`).set('authorization', `Bearer ${bearer}`);

    const before = await token();
    const rotated = await adminPost(api, security.accessToken, '/api/v1/admin/signing-keys/rotate', {});
    expect(rotated.status).toBe(201);
    expect(rotated.body.retiredKid).toBe(kidOf(before));

    const after = await token();
    expect(kidOf(after)).toBe(rotated.body.kid);
    expect((await read(before)).status).toBe(200);
    expect((await read(after)).status).toBe(200);
    const kids = (await api.http().get('/.well-known/jwks.json')).body.keys.map(
      (k: { kid: string }) => k.kid,
    );
    expect(kids).toEqual(expect.arrayContaining([rotated.body.kid, rotated.body.retiredKid]));

    clock.advance(17 * 60_000);
    const later = (await api.http().get('/.well-known/jwks.json')).body.keys.map(
      (k: { kid: string }) => k.kid,
    );
    expect(later).toEqual([rotated.body.kid]);
    const [audit] = await sql(
      api,
      `select actor_id, resource_ids from audit_event where action = 'signing_key.rotate'`,
    );
    expect(audit).toEqual({
      actor_id: security.id,
      resource_ids: [rotated.body.kid, rotated.body.retiredKid],
    });
  });

  it('never stores a private signing key in clear', async () => {
    const rows = await sql<{ private_key_wrapped: Record<string, string> }>(
      api,
      'select private_key_wrapped from signing_key',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toContain('PRIVATE KEY');
      expect(Object.keys(row.private_key_wrapped).sort()).toEqual(['ct', 'iv', 'kek', 'tag']);
    }
  });
});
