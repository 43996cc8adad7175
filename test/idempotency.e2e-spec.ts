import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, ManualClock, newId } from '@app/common';
import { KeyProvider, KeyRotationRunner, type WrappedSecret } from '@app/crypto';
import { totpCode } from '@app/identity';
import { IdempotencySweepJob, requestFingerprint } from '@app/sync';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import {
  clientToken,
  createMember,
  postSigned,
  signatureHeaders,
  syntheticMember,
  webhookSecretFor,
} from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(1130);

const ORGANIZATIONS = '/api/v1/admin/organizations';
const PROBLEMS = 'https://member-sync.dev/problems/';
const HOUR = 3_600_000;

describe('idempotency: Idempotency-Key on state-changing requests', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let preferencesToken: string;

  const createOrganization = (token: string, key: string | undefined, body: object) => {
    const req = api.http().post(ORGANIZATIONS).set('authorization', `Bearer ${token}`);
    return (key === undefined ? req : req.set('idempotency-key', key)).send(body);
  };
  const organizationsNamed = async (name: string) =>
    (await sql<{ n: number }>(api, 'select count(*)::int as n from organization where name = $1', [name]))[0]
      .n;
  const uniqueName = (label: string) => `${label} ${faker.string.alphanumeric(10)}`;
  const putPreferences = (memberId: string, key: string, ifMatch: string) =>
    api
      .http()
      .put(`/api/v1/members/${memberId}/preferences`)
      .set('authorization', `Bearer ${preferencesToken}`)
      .set('idempotency-key', key)
      .set('if-match', ifMatch)
      .send({ channel: 'sms', language: 'es', marketingOptIn: true });

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: {
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    syncToken = await clientToken(
      api,
      await createClient(api, security.accessToken, source.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['sync:write', 'members:read', 'members:write'],
      }),
    );
    const vendor = await adminPost(api, officer.accessToken, '/api/v1/admin/vendors', {
      name: faker.company.name(),
      role: 'partner',
      baa: {
        status: 'signed',
        signedAt: '2026-01-02',
        effectiveFrom: '2026-01-02',
        expiresAt: '2028-01-01',
        documentSha256: 'c'.repeat(64),
        permittedCategories: ['identity', 'preferences'],
      },
    });
    const partner = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId: vendor.body.id,
      type: 'benefits_admin',
      organizationIds: [source.organizationId],
      categories: ['identity', 'preferences'],
      purpose: 'operations',
      requiresConsent: false,
    });
    preferencesToken = await clientToken(
      api,
      await createClient(api, security.accessToken, partner.body.id, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read', 'members.preferences:write'],
      }),
    );
  });
  afterAll(() => api.close());

  it('replays the first answer with Idempotent-Replayed: true and creates the organization once', async () => {
    const name = uniqueName('Replay');
    const key = faker.string.uuid();
    const first = await createOrganization(officer.accessToken, key, { name });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const again = await createOrganization(officer.accessToken, key, { name });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.text).toBe(first.text);
    expect(await organizationsNamed(name)).toBe(1);
  });

  it('runs requests without a key as before: each one executes', async () => {
    const name = uniqueName('No key');
    expect((await createOrganization(officer.accessToken, undefined, { name })).status).toBe(201);
    expect((await createOrganization(officer.accessToken, undefined, { name })).status).toBe(201);
    expect(await organizationsNamed(name)).toBe(2);
  });

  it('replays a partner preference change: the version is bumped once and the same ETag comes back', async () => {
    const memberId = await createMember(api, syncToken, syntheticMember(source.organizationId));
    const key = faker.string.uuid();
    const first = await putPreferences(memberId, key, '"1"');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ version: 2 });
    expect(first.headers.etag).toBe('"2"');

    const again = await putPreferences(memberId, key, '"1"');
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual({ version: 2 });
    expect(again.headers.etag).toBe('"2"');
    const read = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .set('authorization', `Bearer ${syncToken}`);
    expect(read.body.version).toBe(2);
  });

  it('uses a verified webhook-id as the key: a redelivered signed create is answered from the first and applied once', async () => {
    const body = syntheticMember(source.organizationId);
    const text = JSON.stringify(body);
    const secret = await webhookSecretFor(api, source.partnerId);
    const webhookId = `msg_${faker.string.alphanumeric(24)}`;
    // A redelivery carries the same webhook-id and bytes, signed again at its own time.
    const deliver = () =>
      postSigned(
        api,
        syncToken,
        '/api/v1/members',
        text,
        signatureHeaders(api, secret, text, { id: webhookId }),
      );
    const first = await deliver();
    expect(first.status).toBe(201);
    clock.advance(1_000);
    const again = await deliver();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const [{ n }] = await sql<{ n: number }>(
      api,
      'select count(*)::int as n from member where source_ref = $1',
      [body.sourceRef],
    );
    expect(n).toBe(1);
  });

  it('stores an answer found while executing (412, 404) and replays it', async () => {
    const memberId = await createMember(api, syncToken, syntheticMember(source.organizationId));
    expect((await putPreferences(memberId, faker.string.uuid(), '"1"')).status).toBe(200);

    const staleKey = faker.string.uuid();
    const stale = await putPreferences(memberId, staleKey, '"1"');
    expect(stale.status).toBe(412);
    const staleAgain = await putPreferences(memberId, staleKey, '"1"');
    expect(staleAgain.status).toBe(412);
    expect(staleAgain.headers['idempotent-replayed']).toBe('true');
    expect(staleAgain.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(staleAgain.body.type).toBe(`${PROBLEMS}precondition-failed`);

    const unknownKey = faker.string.uuid();
    const unknown = newId('member');
    expect((await putPreferences(unknown, unknownKey, '"1"')).status).toBe(404);
    const unknownAgain = await putPreferences(unknown, unknownKey, '"1"');
    expect(unknownAgain.status).toBe(404);
    expect(unknownAgain.headers['idempotent-replayed']).toBe('true');
  });

  it('refuses the same key with another body or on another route (422 idempotency-key-reused)', async () => {
    const key = faker.string.uuid();
    const name = uniqueName('Reused');
    expect((await createOrganization(officer.accessToken, key, { name })).status).toBe(201);

    const otherBody = await createOrganization(officer.accessToken, key, { name: `${name} 2` });
    expect(otherBody.status).toBe(422);
    expect(otherBody.body.type).toBe(`${PROBLEMS}idempotency-key-reused`);
    expect(await organizationsNamed(`${name} 2`)).toBe(0);

    const otherRoute = await api
      .http()
      .post('/api/v1/admin/vendors')
      .set('authorization', `Bearer ${officer.accessToken}`)
      .set('idempotency-key', key)
      .send({ name });
    expect(otherRoute.status).toBe(422);
    expect(otherRoute.body.type).toBe(`${PROBLEMS}idempotency-key-reused`);
  });

  it('lets one of two concurrent requests under a key execute; the other gets 409 with Retry-After or the replay', async () => {
    const name = uniqueName('Concurrent');
    const key = faker.string.uuid();
    const answers = await Promise.all([
      createOrganization(officer.accessToken, key, { name }),
      createOrganization(officer.accessToken, key, { name }),
    ]);
    const executed = answers.filter((a) => a.status === 201 && !a.headers['idempotent-replayed']);
    expect(executed).toHaveLength(1);
    const other = answers.find((a) => a !== executed[0])!;
    if (other.status === 409) {
      expect(other.body.type).toBe(`${PROBLEMS}idempotency-key-in-use`);
      expect(other.headers['retry-after']).toBe('1');
    } else {
      expect(other.status).toBe(201);
      expect(other.headers['idempotent-replayed']).toBe('true');
      expect(other.body).toEqual(executed[0].body);
    }
    expect(await organizationsNamed(name)).toBe(1);
  });

  it('gives 50 parallel clients, some sharing keys, exactly one effect and one answer per key', async () => {
    const run = faker.string.alphanumeric(8);
    // 35 keys sent once, 5 keys sent three times each: 50 requests at once.
    const keys = Array.from({ length: 40 }, (_, i) => `${run}-${i}`);
    const sends = [...keys, ...keys.slice(0, 5), ...keys.slice(0, 5)];
    const nameOf = (key: string) => `Parallel ${key}`;
    const answers = await Promise.all(
      sends.map(async (key) => ({
        key,
        res: await createOrganization(officer.accessToken, key, { name: nameOf(key) }),
      })),
    );
    for (const { res } of answers) expect([201, 409]).toContain(res.status);
    // A client told 409 retries: by then the first execution has finished and is replayed.
    const settled = await Promise.all(
      answers.map(async ({ key, res }) => ({
        key,
        res:
          res.status === 409
            ? await createOrganization(officer.accessToken, key, { name: nameOf(key) })
            : res,
      })),
    );
    for (const key of keys) {
      const forKey = settled.filter((a) => a.key === key).map((a) => a.res);
      expect(forKey.every((r) => r.status === 201)).toBe(true);
      expect(forKey.filter((r) => !r.headers['idempotent-replayed'])).toHaveLength(1);
      expect(new Set(forKey.map((r) => r.body.id)).size).toBe(1);
    }
    const created = await sql<{ name: string; n: number }>(
      api,
      'select name, count(*)::int as n from organization where name like $1 group by name',
      [`Parallel ${run}-%`],
    );
    expect(created).toHaveLength(40);
    expect(created.every((row) => row.n === 1)).toBe(true);
  });

  it('does not store a validation failure: the same key succeeds once the body is fixed', async () => {
    const key = faker.string.uuid();
    const name = uniqueName('Fixed');
    const refused = await createOrganization(officer.accessToken, key, {});
    expect(refused.status).toBe(400);
    expect(refused.body.type).toBe(`${PROBLEMS}validation-failed`);

    const fixed = await createOrganization(officer.accessToken, key, { name });
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(
      (await createOrganization(officer.accessToken, key, { name })).headers['idempotent-replayed'],
    ).toBe('true');
    expect(await organizationsNamed(name)).toBe(1);
  });

  it('claims nothing for a request refused by authentication', async () => {
    const key = faker.string.uuid();
    const name = uniqueName('Unauthenticated');
    const refused = await api.http().post(ORGANIZATIONS).set('idempotency-key', key).send({ name });
    expect(refused.status).toBe(401);
    const accepted = await createOrganization(officer.accessToken, key, { name });
    expect(accepted.status).toBe(201);
    expect(accepted.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keeps keys per client: another admin using the same key executes on its own and sees no replay', async () => {
    const other = await loginAdmin(api, clock, 'compliance_officer');
    const key = faker.string.uuid();
    const name = uniqueName('Per client');
    const mine = await createOrganization(officer.accessToken, key, { name });
    const theirs = await createOrganization(other.accessToken, key, { name });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await organizationsNamed(name)).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
    ['holding a tab', 'a\tb'],
    ['holding a non-ASCII letter', 'clé'],
  ])('refuses a key %s with 400 idempotency-key-invalid and executes nothing', async (_case, key) => {
    const name = uniqueName('Invalid key');
    const res = await createOrganization(officer.accessToken, key, { name });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe(`${PROBLEMS}idempotency-key-invalid`);
    expect(await organizationsNamed(name)).toBe(0);
  });

  it('keeps no plaintext: the answer is sealed and the key is stored only as an HMAC', async () => {
    const key = `canary-key-${faker.string.alphanumeric(12)}`;
    const body = { name: uniqueName('Canary') };
    const res = await createOrganization(officer.accessToken, key, body);
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const fingerprint = requestFingerprint({
      method: 'POST',
      routeTemplate: ORGANIZATIONS,
      rawBody: Buffer.from(JSON.stringify(body)),
    }).toString('hex');

    const dump = (...args: string[]) =>
      execFileSync('pg_dump', ['--no-owner', '--data-only', ...args, api.database.url], {
        maxBuffer: 256 * 1024 * 1024,
      }).toString();
    const everything = dump();
    const table = dump('-t', 'idempotency_record', '-t', 'idempotency_data_key');
    // Positive controls: the id is findable in a dump, and the record is in the table dump.
    expect(everything).toContain(id);
    expect(table).toContain(officer.id);
    expect(table).toContain(fingerprint);
    for (const canary of [id, key, body.name]) {
      expect(table).not.toContain(canary);
      expect(table).not.toContain(Buffer.from(canary).toString('hex'));
    }
    // A bare SHA-256 of the key would let a dictionary recover a key a client made of a name.
    expect(table).not.toContain(createHash('sha256').update(key).digest('hex'));
    const [row] = await sql<{ status: string; n: number }>(
      api,
      `select status, length(response_sealed)::int as n from idempotency_record where fingerprint = $1`,
      [Buffer.from(fingerprint, 'hex')],
    );
    expect(row.status).toBe('completed');
    expect(row.n).toBeGreaterThan(28);
  });

  it('takes over a running record whose lease ran out (its process died), and not before', async () => {
    const key = faker.string.uuid();
    const body = { name: uniqueName('Crashed') };
    const first = await createOrganization(officer.accessToken, key, body);
    expect(first.status).toBe(201);
    const fingerprint = requestFingerprint({
      method: 'POST',
      routeTemplate: ORGANIZATIONS,
      rawBody: Buffer.from(JSON.stringify(body)),
    });
    // As a process leaves it when it dies after claiming: running, no answer.
    const updated = await sql(
      api,
      `update idempotency_record
       set status = 'running', locked_at = $2, completed_at = null, response_status = null,
           data_key_id = null, response_sealed = null
       where fingerprint = $1 returning 1`,
      [fingerprint, clock.now()],
    );
    expect(updated).toHaveLength(1);

    const blocked = await createOrganization(officer.accessToken, key, body);
    expect(blocked.status).toBe(409);
    expect(blocked.body.type).toBe(`${PROBLEMS}idempotency-key-in-use`);
    expect(blocked.headers['retry-after']).toBe('1');

    clock.advance(61_000);
    const takenOver = await createOrganization(officer.accessToken, key, body);
    expect(takenOver.status).toBe(201);
    expect(takenOver.headers['idempotent-replayed']).toBeUndefined();
    expect(await organizationsNamed(body.name)).toBe(2);
    const replayed = await createOrganization(officer.accessToken, key, body);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body.id).toBe(takenOver.body.id);
  });

  it('re-wraps the idempotency data keys in a KEK rotation, and answers still replay', async () => {
    const key = faker.string.uuid();
    const name = uniqueName('Rotation');
    const first = await createOrganization(officer.accessToken, key, { name });
    expect(first.status).toBe(201);
    const keksOf = async () =>
      sql<{ id: string; kek: string }>(
        api,
        `select id, wrapped->>'kek' as kek from idempotency_data_key order by id`,
      );
    const before = await keksOf();
    expect(before.length).toBeGreaterThan(0);

    const runner = api.app.get(KeyRotationRunner, { strict: false });
    const rotation = await runner.begin({ reencrypt: false, requestedBy: null, now: clock.now() });
    const finished = await runner.run(
      rotation.id,
      () => clock.now(),
      () => Promise.resolve(),
    );
    expect(finished.status).toBe('completed');

    const after = await keksOf();
    expect(after.map((k) => k.id)).toEqual(before.map((k) => k.id));
    for (const [i, row] of after.entries()) expect(row.kek).not.toBe(before[i].kek);
    // Each re-wrapped key opens under the current KEK with its own context only.
    const provider = api.app.get(KeyProvider, { strict: false });
    const [{ wrapped }] = await sql<{ wrapped: WrappedSecret }>(
      api,
      'select wrapped from idempotency_data_key where id = $1',
      [after[0].id],
    );
    await expect(provider.unwrap(wrapped, `idempotency-data-key:${after[0].id}`)).resolves.toHaveLength(32);
    await expect(provider.unwrap(wrapped, 'idempotency-data-key:1999-01-01')).rejects.toThrow();

    const again = await createOrganization(officer.accessToken, key, { name });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
  });

  // Moves the clock by days: keep it last.
  it('sweeps records past the retention and the data keys only they used, and keeps newer ones', async () => {
    const dayOf = (at: Date) => at.toISOString().slice(0, 10);
    const oldKey = faker.string.uuid();
    const oldName = uniqueName('Old');
    expect((await createOrganization(officer.accessToken, oldKey, { name: oldName })).status).toBe(201);
    const oldDay = dayOf(clock.now());

    clock.advance(26 * HOUR);
    const recent = await loginAdmin(api, clock, 'compliance_officer');
    expect(
      (await createOrganization(recent.accessToken, faker.string.uuid(), { name: uniqueName('Recent') }))
        .status,
    ).toBe(201);
    const recentDay = dayOf(clock.now());

    // The first record is now 49 h old, the second 23 h: only the first is past 24 h.
    clock.advance(23 * HOUR);
    const swept = await api.app.get(IdempotencySweepJob, { strict: false }).run({ reason: 'retention' });
    expect(swept.records).toBeGreaterThanOrEqual(1);
    const countFor = async (adminId: string) =>
      (
        await sql<{ n: number }>(
          api,
          'select count(*)::int as n from idempotency_record where client_id = $1',
          [adminId],
        )
      )[0].n;
    expect(await countFor(officer.id)).toBe(0);
    expect(await countFor(recent.id)).toBe(1);
    const dataKeys = (await sql<{ id: string }>(api, 'select id from idempotency_data_key')).map((r) => r.id);
    expect(dataKeys).not.toContain(oldDay);
    expect(dataKeys).toContain(recentDay);

    // The swept key is free again: the same client's same request executes anew.
    const session = await api
      .http()
      .post('/api/v1/admin/session')
      .send({
        email: officer.email,
        password: officer.password,
        totp: totpCode(officer.totpSecret, clock.nowMs()),
      });
    expect(session.status).toBe(200);
    const reused = await createOrganization(session.body.accessToken as string, oldKey, { name: oldName });
    expect(reused.status).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(await organizationsNamed(oldName)).toBe(2);
  });
});
