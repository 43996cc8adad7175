import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { Webhook } from 'standardwebhooks';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import { webhookHeaders, webhookKey } from '@app/crypto';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(6160);

const SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]{43}=$/;
const randomSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('inbound webhooks: partner secrets and signed requests', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let operator: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let sourceSecret: string;
  let otherSecret: string;

  const secretsPath = (partnerId: string) => `/api/v1/admin/partners/${partnerId}/webhook-secrets`;

  async function createSecret(partnerId: string): Promise<{ id: string; secret: string }> {
    const res = await adminPost(api, security.accessToken, secretsPath(partnerId), {});
    if (res.status !== 201) throw new Error(`webhook secret: ${res.status} ${res.text}`);
    return res.body;
  }

  const revoke = (partnerId: string, secretId: string, reason = 'rotation ticket SEC-1042') =>
    adminPost(api, security.accessToken, `${secretsPath(partnerId)}/${secretId}/revoke`, { reason });

  /** A membership-system partner with a sync:write token (and no secret yet). */
  async function syncPartner(): Promise<{ partner: PartnerSetup; token: string }> {
    const partner = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, partner.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write'],
    });
    return { partner, token: await clientToken(api, client) };
  }

  /** A create with exactly these bytes and headers (no signing of its own). */
  const postMember = (token: string, text: string, headers: Record<string, string>) =>
    api
      .http()
      .post('/api/v1/members')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .set(headers)
      .send(text);

  const signed = (secret: string, text: string, at = clock.nowSeconds()) => ({
    ...webhookHeaders(secret, `msg_${randomUUID()}`, at, text),
  });

  const memberCount = async () =>
    (await sql<{ n: number }>(api, 'select count(*)::int as n from member'))[0].n;

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    operator = await loginAdmin(api, clock, 'operator');
    const main = await syncPartner();
    source = main.partner;
    syncToken = main.token;
    sourceSecret = (await createSecret(source.partnerId)).secret;
    otherSecret = (await createSecret((await syncPartner()).partner.partnerId)).secret;
  });
  afterAll(() => api.close());

  describe('secrets (security admin)', () => {
    it('shows a new secret once, in the Standard Webhooks format, and lists it without the secret', async () => {
      const { partner } = await syncPartner();
      const created = await adminPost(api, security.accessToken, secretsPath(partner.partnerId), {});
      expect(created.status).toBe(201);
      expect(Object.keys(created.body).sort()).toEqual(['id', 'secret']);
      expect(created.body.id).toMatch(/^whs_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(created.body.secret).toMatch(SECRET_FORMAT);

      const listed = await api
        .http()
        .get(secretsPath(partner.partnerId))
        .set('authorization', `Bearer ${security.accessToken}`);
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({
        data: [{ id: created.body.id, status: 'active', createdAt: expect.any(String), revokedAt: null }],
        nextCursor: null,
      });
      expect(listed.text).not.toContain(created.body.secret.slice('whsec_'.length, 30));

      const [event] = await sql<{ actor_id: string; actor_type: string }>(
        api,
        `select actor_id, actor_type from audit_event where action = 'webhook_secret.create' and $1 = any(resource_ids)`,
        [created.body.id],
      );
      expect(event).toEqual({ actor_id: security.id, actor_type: 'admin' });
    });

    it('stores a secret only wrapped by the KEK: a pg_dump holds its id but neither its text nor its key bytes', async () => {
      const { partner } = await syncPartner();
      const { id, secret } = await createSecret(partner.partnerId);
      const key = webhookKey(secret);
      const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
        maxBuffer: 256 * 1024 * 1024,
      });
      expect(dump.toString()).toContain(id);
      for (const canary of [secret, key.toString('base64'), key.toString('hex'), key.toString('base64url')])
        expect(dump.toString()).not.toContain(canary);
      expect(dump.includes(key)).toBe(false);
    });

    it.each([
      ['a compliance officer', () => officer.accessToken],
      ['an operator', () => operator.accessToken],
    ])('refuses %s without admin:credentials:write with 403 and creates nothing', async (_who, token) => {
      const { partner } = await syncPartner();
      const res = await adminPost(api, token(), secretsPath(partner.partnerId), {});
      expect(res.status).toBe(403);
      const [{ n }] = await sql<{ n: number }>(
        api,
        'select count(*)::int as n from webhook_secret where partner_id = $1',
        [partner.partnerId],
      );
      expect(n).toBe(0);
    });

    it('lets an operator (admin:partners:read) list secrets but not revoke them', async () => {
      const { partner } = await syncPartner();
      const { id } = await createSecret(partner.partnerId);
      const listed = await api
        .http()
        .get(secretsPath(partner.partnerId))
        .set('authorization', `Bearer ${operator.accessToken}`);
      expect(listed.status).toBe(200);
      const refused = await adminPost(
        api,
        operator.accessToken,
        `${secretsPath(partner.partnerId)}/${id}/revoke`,
        { reason: 'not mine to do' },
      );
      expect(refused.status).toBe(403);
    });

    it('refuses a partner token on the admin route (403)', async () => {
      const res = await adminPost(api, syncToken, secretsPath(source.partnerId), {});
      expect(res.status).toBe(403);
    });

    it('answers 404 for an unknown partner and 422 for an integration type that sends no signed requests', async () => {
      const unknown = await adminPost(
        api,
        security.accessToken,
        secretsPath('prt_00000000000000000000000000'),
        {},
      );
      expect(unknown.status).toBe(404);
      const carrier = await setupPartner(api, officer.accessToken, { type: 'carrier' });
      const refused = await adminPost(api, security.accessToken, secretsPath(carrier.partnerId), {});
      expect(refused.status).toBe(422);
    });

    it('holds at most 5 active secrets per partner (409), and a revoke makes room again', async () => {
      const { partner } = await syncPartner();
      const created = [];
      for (let i = 0; i < 5; i += 1) created.push(await createSecret(partner.partnerId));
      const sixth = await adminPost(api, security.accessToken, secretsPath(partner.partnerId), {});
      expect(sixth.status).toBe(409);
      expect((await revoke(partner.partnerId, created[0].id)).status).toBe(200);
      expect((await adminPost(api, security.accessToken, secretsPath(partner.partnerId), {})).status).toBe(
        201,
      );
    });

    it('pages the list with an opaque cursor bound to its partner', async () => {
      const { partner } = await syncPartner();
      const ids = [(await createSecret(partner.partnerId)).id, (await createSecret(partner.partnerId)).id];
      const page = (cursor?: string, partnerId = partner.partnerId) =>
        api
          .http()
          .get(secretsPath(partnerId))
          .query({ limit: 1, ...(cursor ? { cursor } : {}) })
          .set('authorization', `Bearer ${security.accessToken}`);
      const first = await page();
      expect(first.body.data).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await page(first.body.nextCursor as string);
      expect(second.body.nextCursor).toBeNull();
      expect([first.body.data[0].id, second.body.data[0].id].sort()).toEqual([...ids].sort());
      expect((await page(first.body.nextCursor as string, source.partnerId)).status).toBe(400);
    });
  });

  describe('signed create: POST /api/v1/members', () => {
    it('creates a member from a request signed with an active secret (201)', async () => {
      const text = JSON.stringify(syntheticMember(source.organizationId));
      const res = await postMember(syncToken, text, signed(sourceSecret, text));
      expect(res.status).toBe(201);
      expect(res.body.id).toMatch(/^mbr_/);
    });

    it('accepts a request signed by the standardwebhooks reference library', async () => {
      const text = JSON.stringify(syntheticMember(source.organizationId));
      const at = clock.now();
      const res = await postMember(syncToken, text, {
        'webhook-id': 'msg_reference-library',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(sourceSecret).sign('msg_reference-library', at, text),
      });
      expect(res.status).toBe(201);
    });

    it('acknowledges a replayed webhook-id with the first answer and applies it once', async () => {
      const text = JSON.stringify(syntheticMember(source.organizationId));
      const headers = signed(sourceSecret, text);
      const before = await memberCount();
      const first = await postMember(syncToken, text, headers);
      const replay = await postMember(syncToken, text, headers);
      expect(first.status).toBe(201);
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(await memberCount()).toBe(before + 1);
    });

    it('verifies the bytes as sent, not a re-serialization (spacing and key order kept)', async () => {
      const member = syntheticMember(source.organizationId);
      const text = `{\n  "organizationId" : "${member.organizationId}",${JSON.stringify({ ...member, organizationId: undefined }).slice(1)}`;
      const res = await postMember(syncToken, text, signed(sourceSecret, text));
      expect(res.status).toBe(201);
    });

    const tamper = (text: string) => {
      // One byte of one value, still valid JSON: only the signature can notice.
      const at = text.indexOf('"eventId":"evt-') + '"eventId":"evt-'.length;
      return `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    };
    const without = (headers: Record<string, string>, name: string) =>
      Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

    it.each<[string, (text: string) => { text?: string; headers: Record<string, string> }, string]>([
      [
        'a malformed signature',
        (text) => ({
          headers: { ...signed(sourceSecret, text), 'webhook-signature': `v1,${randomSecret().slice(6)}` },
        }),
        'no_matching_signature',
      ],
      [
        'a signature by an unknown secret',
        (text) => ({ headers: signed(randomSecret(), text) }),
        'no_matching_signature',
      ],
      [
        "another partner's secret",
        (text) => ({ headers: signed(otherSecret, text) }),
        'no_matching_signature',
      ],
      [
        'a body changed by one byte after signing',
        (text) => ({ text: tamper(text), headers: signed(sourceSecret, text) }),
        'no_matching_signature',
      ],
      [
        'a timestamp 6 minutes old',
        (text) => ({ headers: signed(sourceSecret, text, clock.nowSeconds() - 360) }),
        'timestamp_too_old',
      ],
      [
        'a timestamp 6 minutes in the future',
        (text) => ({ headers: signed(sourceSecret, text, clock.nowSeconds() + 360) }),
        'timestamp_too_new',
      ],
      [
        'no webhook-id',
        (text) => ({ headers: without(signed(sourceSecret, text), 'webhook-id') }),
        'missing_headers',
      ],
      [
        'no webhook-timestamp',
        (text) => ({ headers: without(signed(sourceSecret, text), 'webhook-timestamp') }),
        'missing_headers',
      ],
      [
        'no webhook-signature',
        (text) => ({ headers: without(signed(sourceSecret, text), 'webhook-signature') }),
        'missing_headers',
      ],
      ['no signature headers at all', () => ({ headers: {} }), 'missing_headers'],
    ])('refuses %s with 401, creates nothing, echoes nothing and audits why', async (_case, make, reason) => {
      const member = syntheticMember(source.organizationId);
      const text = JSON.stringify(member);
      const { text: sent = text, headers } = make(text);
      const requestId = randomUUID();
      const before = await memberCount();
      const res = await postMember(syncToken, sent, { ...headers, 'x-request-id': requestId });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toMatch(/\/webhook-signature-invalid$/);
      expect(await memberCount()).toBe(before);
      for (const echoed of [
        member.identity.familyName,
        member.sourceRef,
        headers['webhook-signature'],
        headers['webhook-id'],
      ])
        if (echoed) expect(res.text).not.toContain(echoed);
      const events = await sql<{ action: string; reason: string; outcome: string }>(
        api,
        'select action, reason, outcome from audit_event where request_id = $1',
        [requestId],
      );
      expect(events).toEqual([{ action: 'webhook.verify', reason, outcome: 'failure' }]);
    });

    it('verifies old and new secrets during a rotation overlap, and only the new one once the old is revoked', async () => {
      const { partner, token } = await syncPartner();
      const old = await createSecret(partner.partnerId);
      const create = async (secret: string) => {
        const text = JSON.stringify(syntheticMember(partner.organizationId));
        return (await postMember(token, text, signed(secret, text))).status;
      };
      expect(await create(old.secret)).toBe(201);
      const next = await createSecret(partner.partnerId);
      expect([await create(old.secret), await create(next.secret)]).toEqual([201, 201]);

      const revoked = await revoke(partner.partnerId, old.id, 'rotation ticket SEC-1042');
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({
        id: old.id,
        status: 'revoked',
        createdAt: expect.any(String),
        revokedAt: clock.now().toISOString(),
      });
      expect([await create(old.secret), await create(next.secret)]).toEqual([401, 201]);

      expect((await revoke(partner.partnerId, old.id, 'again')).body.status).toBe('revoked');
      const events = await sql<{ actor_id: string; reason: string }>(
        api,
        `select actor_id, reason from audit_event where action = 'webhook_secret.revoke' and $1 = any(resource_ids)`,
        [old.id],
      );
      expect(events).toEqual([{ actor_id: security.id, reason: 'rotation ticket SEC-1042' }]);
    });

    it('answers 404 when revoking a secret of another partner, and that secret keeps working', async () => {
      const { partner } = await syncPartner();
      const { id } = await createSecret(partner.partnerId);
      expect((await revoke(source.partnerId, id)).status).toBe(404);
      const [{ status }] = await sql<{ status: string }>(
        api,
        'select status from webhook_secret where id = $1',
        [id],
      );
      expect(status).toBe('active');
    });

    it('a second API process stops accepting a revoked secret once its 30-second cache expires', async () => {
      const { partner, token } = await syncPartner();
      const { id, secret } = await createSecret(partner.partnerId);
      const second = await startTestApi({ clock, shareWith: api });
      try {
        const createThere = async () => {
          const text = JSON.stringify(syntheticMember(partner.organizationId));
          return (
            await second
              .http()
              .post('/api/v1/members')
              .set('authorization', `Bearer ${token}`)
              .set('content-type', 'application/json')
              .set(signed(secret, text))
              .send(text)
          ).status;
        };
        expect(await createThere()).toBe(201);
        expect((await revoke(partner.partnerId, id)).status).toBe(200);
        clock.advance(30_000);
        expect(await createThere()).toBe(401);
      } finally {
        await second.close();
      }
    });
  });
});
