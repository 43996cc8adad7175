import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { ManualClock, DATA_CATEGORIES, newId } from '@app/common';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { TEST_REDIS_URL } from './support/services';
import request from 'supertest';
import { startTestApi, testTlsFiles, type TestApi } from './support/test-app';

faker.seed(4242);

/** Resolves to `value` after `ms`, without keeping the process alive once the race it bounds is over. */
const settleAfter = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms).unref());

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
    const again = await postSigned(api, syncToken, '/api/v1/members', { ...body, eventId: 'evt-again' });
    expect(again.status).toBe(409);
    expect(again.body.id).toBe(id);
  });

  it('refuses a create for an organization the source is not linked to, like a missing one', async () => {
    const res = await postSigned(
      api,
      syncToken,
      '/api/v1/members',
      syntheticMember(source.otherOrganizationId),
    );
    expect(res.status).toBe(404);
  });

  it('rejects invalid ePHI with field names only', async () => {
    const body = syntheticMember(source.organizationId, { governmentId: { ssn: 'canary-ssn' } });
    const res = await postSigned(api, syncToken, '/api/v1/members', body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'governmentId.ssn' })]),
    );
    expect(res.text).not.toContain('canary-ssn');
    expect(res.text).not.toContain(body.identity.familyName);
  });

  it.each([
    ['another kind of id', 'org_0000000000000000000000000A'],
    ['a lowercase member id', 'mbr_0000000000000000000000000a'],
    ['a sequence number', '12345'],
  ])('refuses %s as a member id with a validation problem that does not echo it', async (_name, id) => {
    const res = await read(syncToken, id);
    expect(res.status).toBe(400);
    expect(res.body.type).toMatch(/validation-failed$/);
    expect(res.body.errors).toEqual([{ field: 'memberId', rules: ['matches'] }]);
    expect(res.text).not.toContain(id);
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
    // Each change is logged with its sender and field names, never values; field metadata names the sender.
    const changes = await sql<{ version: number; kind: string; fields: string[]; sender: string }>(
      api,
      'select version::int, kind, fields, sender from member_change where member_id = $1 order by seq',
      [id],
    );
    expect(changes).toEqual([
      {
        version: 1,
        kind: 'create',
        fields: expect.arrayContaining(['givenName', 'ssn']),
        sender: source.partnerId,
      },
      {
        version: 2,
        kind: 'update',
        fields: ['channel', 'language', 'marketingOptIn'],
        sender: expect.any(String),
      },
    ]);
    expect(changes[1].sender).toMatch(/^prt_/);
    expect(changes[1].sender).not.toBe(source.partnerId);
    const [{ field_meta: meta }] = await sql<{ field_meta: Record<string, { source: string }> }>(
      api,
      'select field_meta from member where id = $1',
      [id],
    );
    expect(meta.channel.source).toBe(changes[1].sender);
    expect(meta.givenName.source).toBe(source.partnerId);
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

  it('lists members with tamper-proof cursors, withholds tampered ones, and never crosses organizations', async () => {
    // Its own source and organization, so the page holds exactly the members made here, in any test order.
    const tenant = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const token = await clientToken(
      api,
      await createClient(api, security.accessToken, tenant.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['sync:write', 'members:read'],
      }),
    );
    const created: string[] = [];
    for (let i = 0; i < 5; i++)
      created.push(await createMember(api, token, syntheticMember(tenant.organizationId)));
    const [a, b] = created;
    await sql(
      api,
      `update member set date_of_birth_enc = case id when $1 then (select date_of_birth_enc from member where id = $2)
                                               else (select date_of_birth_enc from member where id = $1) end
       where id in ($1, $2)`,
      [a, b],
    );
    const list = (query: Record<string, unknown>) =>
      api.http().get('/api/v1/members').query(query).set('authorization', `Bearer ${token}`);

    const seen: string[] = [];
    const withheld: string[] = [];
    let cursor: string | null = null;
    do {
      const res: {
        status: number;
        body: { data: { id: string }[]; withheld: string[]; nextCursor: string | null };
      } = await list({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      withheld.push(...res.body.withheld);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect([...seen, ...withheld].sort()).toEqual([...created].sort());
    expect(withheld.sort()).toEqual([a, b].sort());

    const first = await list({ limit: 1 });
    const tampered = `${first.body.nextCursor.slice(0, -3)}abc`;
    expect((await list({ cursor: tampered })).status).toBe(400);
    // A cursor is bound to its query: another partner cannot resume it, nor another filter.
    expect(
      (await list({ cursor: first.body.nextCursor, organizationId: tenant.organizationId })).status,
    ).toBe(400);
    expect(
      (
        await api
          .http()
          .get('/api/v1/members')
          .query({ cursor: first.body.nextCursor })
          .set('authorization', `Bearer ${syncToken}`)
      ).status,
    ).toBe(400);
    const foreign = await list({ organizationId: tenant.otherOrganizationId });
    expect(foreign.status).toBe(200);
    expect(foreign.body.data).toEqual([]);
    expect((await list({ limit: 201 })).status).toBe(400);
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
    const changes = await sql(
      api,
      'select kind, version::int, sender from member_change where member_id = $1 order by seq',
      [id],
    );
    expect(changes).toEqual([
      { kind: 'create', version: 1, sender: source.partnerId },
      { kind: 'delete', version: 2, sender: source.partnerId },
    ]);
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

  it('keeps serving other tenants while 60 writes to unknown members are refused, each refusal audited once', async () => {
    const tenant = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const tenantClient = await createClient(api, security.accessToken, tenant.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    const tenantToken = await clientToken(api, tenantClient);
    const own = await createMember(api, tenantToken, syntheticMember(tenant.organizationId));
    const writer = await partnerWith(
      'benefits_admin',
      ['identity', 'preferences'],
      ['members:read', 'members.preferences:write'],
    );
    // A second API process on the same database with a small pool: 60 refusals far outnumber its connections.
    const small = await startTestApi({ clock, shareWith: api, env: { DATABASE_POOL_MAX: '4' } });
    // Connections opened up front, so what is timed is the service, not 61 TLS handshakes in this process.
    const sockets = new Agent({ keepAlive: true, maxSockets: 64, ca: readFileSync(testTlsFiles().cert) });
    const call = (method: 'get' | 'put' | 'delete', path: string) =>
      request(small.baseUrl)[method](path).agent(sockets);
    const readSmall = (token: string, id: string) =>
      call('get', `/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);
    try {
      await Promise.all(Array.from({ length: 64 }, () => call('get', '/health/live')));
      expect((await readSmall(tenantToken, own)).status).toBe(200);

      const unknown = Array.from({ length: 60 }, () => newId('member'));
      const writes = Promise.all(
        unknown.map(async (id, i) => {
          const res =
            i % 2 === 0
              ? await call('put', `/api/v1/members/${id}/preferences`)
                  .set('authorization', `Bearer ${writer}`)
                  .set('if-match', '"1"')
                  .send({ channel: 'sms', language: 'en', marketingOptIn: false })
              : await call('delete', `/api/v1/members/${id}`).set('authorization', `Bearer ${syncToken}`);
          return res.status;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = performance.now();
      // Bounded, so a stalled pool fails the assertions instead of the test's timeout.
      const ownRead = await Promise.race([readSmall(tenantToken, own), settleAfter(5_000, { status: 0 })]);
      const readMs = performance.now() - started;
      const statuses = await Promise.race([writes, settleAfter(20_000, ['stalled'])]);

      expect(ownRead.status).toBe(200);
      expect(readMs).toBeLessThan(1000);
      expect(statuses).toEqual(unknown.map(() => 404));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const audited = await sql<{ id: string; n: number }>(
        api,
        `select r.id, count(e.id)::int as n from unnest($1::text[]) as r(id)
       left join audit_event e on r.id = any(e.resource_ids) group by r.id`,
        [unknown],
      );
      expect(audited.filter((r) => r.n !== 1)).toEqual([]);
    } finally {
      sockets.destroy();
      await small.close();
    }
  }, 120_000);
});
