import { execFileSync } from 'node:child_process';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { ManualClock, DATA_CATEGORIES } from '@app/common';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(4242);

describe('members: encryption, projections, BAA gate, deletion', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;

  async function partnerWith(
    type: 'carrier' | 'benefits_admin' | 'wellness_app',
    baaCategories: string[],
    scopes: string[],
    baaOverrides = {},
  ) {
    const vendor = await adminPost(api, officer.accessToken, '/api/v1/admin/vendors', {
      name: faker.company.name(),
      role: 'partner',
      baa: {
        status: 'signed',
        signedAt: '2026-01-02',
        effectiveFrom: '2026-01-02',
        expiresAt: '2028-01-01',
        documentSha256: 'b'.repeat(64),
        permittedCategories: baaCategories,
        ...baaOverrides,
      },
    });
    const partner = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId: vendor.body.id,
      type,
      organizationIds: [source.organizationId],
      categories: baaCategories,
      purpose: 'operations',
      requiresConsent: false,
    });
    expect(partner.status).toBe(201);
    const client = await createClient(api, security.accessToken, partner.body.id, {
      authMethod: 'client_secret_basic',
      scopes: scopes as never,
    });
    return clientToken(api, client);
  }

  const read = (token: string, id: string) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read', 'members:write'],
    });
    syncToken = await clientToken(api, client);
  });
  afterAll(() => api.close());

  it('creates a member, returns every value exactly, and keeps no canary in clear in a pg_dump or in Redis', async () => {
    const body = syntheticMember(source.organizationId);
    const id = await createMember(api, syncToken, body);
    const res = await read(syncToken, id);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    const { eventId: _e, occurredAt: _o, sourceRef: _s, organizationId, ...groups } = body;
    expect(res.body).toEqual({
      id,
      organizationId,
      version: 1,
      status: 'active',
      updatedAt: expect.any(String),
      ...groups,
    });

    const canaries = [
      body.identity.givenName,
      body.identity.familyName,
      body.identity.dateOfBirth,
      body.governmentId.ssn,
      body.contact.email,
      body.contact.phone,
      body.contact.address.line1,
      body.membership.externalMemberNumber,
      body.dependents[0].givenName,
    ];
    const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
      maxBuffer: 256 * 1024 * 1024,
    }).toString();
    expect(dump).toContain(id);
    for (const canary of canaries) expect(dump).not.toContain(canary);

    const redis = new Redis(TEST_REDIS_URL);
    try {
      const everything: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          everything.push(key);
          const type = await redis.type(key);
          if (type === 'string') everything.push((await redis.get(key)) ?? '');
          else if (type === 'hash') everything.push(JSON.stringify(await redis.hgetall(key)));
          else if (type === 'list') everything.push(...(await redis.lrange(key, 0, -1)));
          else if (type === 'set') everything.push(...(await redis.smembers(key)));
          else if (type === 'zset') everything.push(...(await redis.zrange(key, '0', '-1')));
        }
      } while (cursor !== '0');
      const text = everything.join('\n');
      for (const canary of canaries) expect(text).not.toContain(canary);
    } finally {
      redis.disconnect();
    }
  });

  it('answers a repeated sourceRef with 409 and the existing id', async () => {
    const body = syntheticMember(source.organizationId);
    const id = await createMember(api, syncToken, body);
    const again = await api
      .http()
      .post('/api/v1/members')
      .set('authorization', `Bearer ${syncToken}`)
      .send({ ...body, eventId: 'evt-again' });
    expect(again.status).toBe(409);
    expect(again.body.id).toBe(id);
  });

  it('refuses a create for an organization the source is not linked to, like a missing one', async () => {
    const res = await api
      .http()
      .post('/api/v1/members')
      .set('authorization', `Bearer ${syncToken}`)
      .send(syntheticMember(source.otherOrganizationId));
    expect(res.status).toBe(404);
  });

  it('rejects invalid ePHI with field names only', async () => {
    const body = syntheticMember(source.organizationId, { governmentId: { ssn: 'canary-ssn' } });
    const res = await api
      .http()
      .post('/api/v1/members')
      .set('authorization', `Bearer ${syncToken}`)
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'governmentId.ssn' })]),
    );
    expect(res.text).not.toContain('canary-ssn');
    expect(res.text).not.toContain(body.identity.familyName);
  });

  it('shows a carrier-scoped token eligibility fields only', async () => {
    const id = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const carrier = await partnerWith(
      'carrier',
      ['identity', 'membership', 'coverage', 'contact'],
      ['members.eligibility:read'],
    );
    const res = await read(carrier, id);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'coverage',
      'id',
      'identity',
      'membership',
      'organizationId',
      'status',
      'updatedAt',
      'version',
    ]);
  });

  it('never shows ssn to a members:read partner whose BAA does not permit government_id', async () => {
    const body = syntheticMember(source.organizationId);
    const id = await createMember(api, syncToken, body);
    const token = await partnerWith('benefits_admin', ['identity', 'contact', 'coverage'], ['members:read']);
    const res = await read(token, id);
    expect(res.status).toBe(200);
    expect(res.body.governmentId).toBeUndefined();
    expect(res.text).not.toContain(body.governmentId.ssn);
    expect(res.body.contact.email).toBe(body.contact.email);
  });

  it('drops contact for a partner whose BAA lacks it, and refuses with baa-required once the BAA has expired', async () => {
    const id = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const noContact = await partnerWith('benefits_admin', ['identity', 'coverage'], ['members:read']);
    const res = await read(noContact, id);
    expect(res.status).toBe(200);
    expect(res.body.contact).toBeUndefined();
    expect(res.body.identity).toBeDefined();

    const expired = await partnerWith('benefits_admin', ['identity', 'contact'], ['members:read'], {
      expiresAt: '2026-06-01',
    });
    const refused = await read(expired, id);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/\/baa-required$/);
    const [alert] = await sql(api, `select type from alert where type = 'baa_refusal'`);
    expect(alert).toEqual({ type: 'baa_refusal' });
  });

  it('fails both reads as integrity-violation when two dateOfBirth ciphertexts are swapped in SQL', async () => {
    const a = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const b = await createMember(api, syncToken, syntheticMember(source.organizationId));
    await sql(
      api,
      `update member set date_of_birth_enc = case id when $1 then (select date_of_birth_enc from member where id = $2)
                                               else (select date_of_birth_enc from member where id = $1) end
       where id in ($1, $2)`,
      [a, b],
    );
    for (const id of [a, b]) {
      const res = await read(syncToken, id);
      expect(res.status).toBe(500);
      expect(res.body.type).toMatch(/\/integrity-violation$/);
      expect(res.body.identity).toBeUndefined();
    }
    const alerts = await sql(
      api,
      `select subject from alert where type = 'integrity_violation' order by subject`,
    );
    expect(alerts.map((r) => r.subject)).toEqual(expect.arrayContaining([`member:${a}`, `member:${b}`]));
  });

  it('changes preferences only with a matching If-Match', async () => {
    const id = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const b2b = await partnerWith(
      'benefits_admin',
      ['identity', 'preferences'],
      ['members:read', 'members.preferences:write'],
    );
    const prefs = { channel: 'sms', language: 'es', marketingOptIn: true };
    const put = (ifMatch?: string) => {
      const req = api.http().put(`/api/v1/members/${id}/preferences`).set('authorization', `Bearer ${b2b}`);
      return (ifMatch ? req.set('if-match', ifMatch) : req).send(prefs);
    };
    expect((await put()).status).toBe(428);
    expect((await put('"7"')).status).toBe(412);
    const ok = await put('"1"');
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    const after = await read(b2b, id);
    expect(after.body.preferences).toEqual(prefs);
    expect(after.body.version).toBe(2);
    expect((await put('"1"')).status).toBe(412);

    // A partner whose registration and BAA do not cover preferences may not write them.
    const uncovered = await partnerWith(
      'benefits_admin',
      ['identity'],
      ['members:read', 'members.preferences:write'],
    );
    const refused = await api
      .http()
      .put(`/api/v1/members/${id}/preferences`)
      .set('authorization', `Bearer ${uncovered}`)
      .set('if-match', '"2"')
      .send(prefs);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('preferences');
    expect((await read(b2b, id)).body.version).toBe(2);
  });

  it('lists members with tamper-proof cursors and never crosses organizations', async () => {
    for (let i = 0; i < 3; i++) await createMember(api, syncToken, syntheticMember(source.organizationId));
    const seen: string[] = [];
    const withheld: string[] = [];
    let cursor: string | null = null;
    do {
      const res: {
        status: number;
        body: { data: { id: string }[]; withheld: string[]; nextCursor: string | null };
      } = await api
        .http()
        .get('/api/v1/members')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set('authorization', `Bearer ${syncToken}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      // The members whose ciphertexts an earlier test swapped are withheld, not fatal to the page.
      withheld.push(...res.body.withheld);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const [{ n }] = await sql<{ n: number }>(
      api,
      `select count(*)::int as n from member where organization_id = $1 and status <> 'deleted'`,
      [source.organizationId],
    );
    expect(seen.length + withheld.length).toBe(n);
    expect(withheld).toHaveLength(2);

    const first = await api
      .http()
      .get('/api/v1/members')
      .query({ limit: 1 })
      .set('authorization', `Bearer ${syncToken}`);
    const tampered = `${first.body.nextCursor.slice(0, -3)}abc`;
    const bad = await api
      .http()
      .get('/api/v1/members')
      .query({ cursor: tampered })
      .set('authorization', `Bearer ${syncToken}`);
    expect(bad.status).toBe(400);
    const foreign = await api
      .http()
      .get('/api/v1/members')
      .query({ organizationId: source.otherOrganizationId })
      .set('authorization', `Bearer ${syncToken}`);
    expect(foreign.status).toBe(200);
    expect(foreign.body.data).toEqual([]);
    expect(
      (
        await api
          .http()
          .get('/api/v1/members')
          .query({ limit: 201 })
          .set('authorization', `Bearer ${syncToken}`)
      ).status,
    ).toBe(400);
  });

  it('deletes by crypto-shredding: 404 for partners, data key gone, tombstone kept', async () => {
    const id = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const del = await api.http().delete(`/api/v1/members/${id}`).set('authorization', `Bearer ${syncToken}`);
    expect(del.status).toBe(204);
    expect((await read(syncToken, id)).status).toBe(404);
    expect(await sql(api, 'select member_id from member_key where member_id = $1', [id])).toEqual([]);
    const [tombstone] = await sql(
      api,
      'select status, version::int, date_of_birth_enc, ssn_bidx from member where id = $1',
      [id],
    );
    expect(tombstone).toEqual({ status: 'deleted', version: 2, date_of_birth_enc: null, ssn_bidx: null });
    const [audit] = await sql(
      api,
      `select action from audit_event where action = 'member.delete' and $1 = any(resource_ids)`,
      [id],
    );
    expect(audit).toEqual({ action: 'member.delete' });
  });

  it('finds members by blind index for an admin, with the value in the body', async () => {
    const body = syntheticMember(source.organizationId);
    const id = await createMember(api, syncToken, body);
    const res = await adminPost(api, officer.accessToken, '/api/v1/admin/members/search', {
      field: 'email',
      value: body.contact.email.toUpperCase(),
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([{ id, organizationId: source.organizationId }]);
  });
});
