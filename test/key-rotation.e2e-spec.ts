import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { ManualClock, DATA_CATEGORIES } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
} from './support/identity-fixtures';
import { clientToken, createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(777);

/** Polls `condition` every 50 ms until it holds; fails after 20 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('KEK rotation during live traffic', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let worker: INestApplicationContext;
  let security: AdminSession;
  let operator: AdminSession;
  let syncToken: string;
  let b2bToken: string;
  const members = new Map<string, ReturnType<typeof syntheticMember>>();

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: {
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    operator = await loginAdmin(api, clock, 'operator');
    const source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const sync = await createClient(api, security.accessToken, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    syncToken = await clientToken(api, sync);
    const b2bPartner = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId: source.vendorId,
      type: 'benefits_admin',
      organizationIds: [source.organizationId],
      categories: ['identity', 'preferences'],
      purpose: 'operations',
      requiresConsent: false,
    });
    const b2b = await createClient(api, security.accessToken, b2bPartner.body.id, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read', 'members.preferences:write'],
    });
    b2bToken = await clientToken(api, b2b);
    for (let i = 0; i < 60; i++) {
      const body = syntheticMember(source.organizationId);
      members.set(await createMember(api, syncToken, body), body);
    }
  });
  afterAll(async () => {
    await worker?.close();
    await api.close();
  });

  it('re-wraps and re-encrypts every member while reads and writes go on, losing nothing and failing no request', async () => {
    const keksBefore = await sql<{ kek: string }>(api, 'select distinct kek from member_key');
    expect(keksBefore).toHaveLength(1);

    const started = await adminPost(api, security.accessToken, '/api/v1/admin/keys/rotate', {
      reencrypt: true,
    });
    expect(started.status).toBe(202);
    const rotationId = started.body.id as string;

    const failures: string[] = [];
    const ids = [...members.keys()];
    const preferenceWriters = ids.slice(0, 5);
    const etags = new Map(preferenceWriters.map((id) => [id, '"1"']));
    let finished = false;
    let status: { status: string; percent: number; done: number; total: number } | undefined;
    const load = (async () => {
      let round = 0;
      while (!finished || round < 3) {
        round++;
        await Promise.all([
          ...ids.slice((round * 7) % 50, ((round * 7) % 50) + 10).map(async (id) => {
            const res = await api
              .http()
              .get(`/api/v1/members/${id}`)
              .set('authorization', `Bearer ${syncToken}`);
            if (res.status !== 200) failures.push(`read ${res.status}`);
            else if (res.body.identity.givenName !== members.get(id)!.identity.givenName)
              failures.push('read value changed');
          }),
          ...preferenceWriters.map(async (id) => {
            const res = await api
              .http()
              .put(`/api/v1/members/${id}/preferences`)
              .set('authorization', `Bearer ${b2bToken}`)
              .set('if-match', etags.get(id)!)
              .send({
                channel: round % 2 ? 'sms' : 'email',
                language: 'en',
                marketingOptIn: round % 2 === 0,
              });
            if (res.status !== 200) failures.push(`write ${res.status}`);
            else etags.set(id, res.headers.etag);
          }),
          (async () => {
            const body = syntheticMember(members.values().next().value!.organizationId);
            const res = await postSigned(api, syncToken, '/api/v1/members', body);
            if (res.status !== 201) failures.push(`create ${res.status}`);
            else members.set(res.body.id as string, body);
          })(),
        ]);
      }
    })();

    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const res = await api
        .http()
        .get(`/api/v1/admin/keys/rotations/${rotationId}`)
        .set('authorization', `Bearer ${security.accessToken}`);
      status = res.body;
      if (status?.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    finished = true;
    await load;

    expect(failures).toEqual([]);
    expect(status).toMatchObject({ status: 'completed', percent: 100 });
    expect(status!.done).toBe(status!.total);

    const keksAfter = await sql<{ kek: string }>(api, 'select distinct kek from member_key');
    expect(keksAfter).toHaveLength(1);
    expect(keksAfter[0].kek).not.toBe(keksBefore[0].kek);
    const [{ n }] = await sql<{ n: number }>(
      api,
      'select count(*)::int as n from member_key where version < 2 and member_id = any($1)',
      [ids],
    );
    expect(n).toBe(0);

    for (const [id, body] of members) {
      const res = await api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${syncToken}`);
      expect(res.status).toBe(200);
      expect(res.body.identity).toEqual(body.identity);
      expect(res.body.governmentId).toEqual(body.governmentId);
    }
    const [audit] = await sql(
      api,
      `select actor_type from audit_event where action = 'keys.rotate.completed' and $1 = any(resource_ids)`,
      [rotationId],
    );
    expect(audit).toEqual({ actor_type: 'system' });
  }, 90_000);

  it('lands a preferences write that waited on a re-encryption batch under the new data key, losing no value', async () => {
    const body = syntheticMember(members.values().next().value!.organizationId);
    const id = await createMember(api, syncToken, body);
    const [before] = await sql<{ version: number }>(
      api,
      'select version::int from member_key where member_id = $1',
      [id],
    );
    // The rotation slowed down inside its batch: re-keying this member sleeps while the batch holds its row locks.
    await sql(
      api,
      `create function test_slow_key_update() returns trigger language plpgsql as $$
       begin perform pg_sleep(3); return new; end $$`,
    );
    await sql(
      api,
      `create trigger test_slow_key_update before update on member_key for each row
       when (old.member_id = '${id}') execute function test_slow_key_update()`,
    );
    const waiting = (event: string) =>
      sql<{ n: number }>(
        api,
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and ${event}`,
      ).then(([row]) => row.n > 0);
    try {
      const started = await adminPost(api, security.accessToken, '/api/v1/admin/keys/rotate', {
        reencrypt: true,
      });
      expect(started.status).toBe(202);
      await until(() => waiting(`wait_event = 'PgSleep'`));

      const preferences = { channel: 'email', language: 'fr', marketingOptIn: true };
      const put = api
        .http()
        .put(`/api/v1/members/${id}/preferences`)
        .set('authorization', `Bearer ${b2bToken}`)
        .set('if-match', '"1"')
        .send(preferences)
        .then((res) => res);
      // The write really waited on the batch's locks (the sleep outlasts this).
      await until(() => waiting(`wait_event_type = 'Lock'`));
      const res = await put;
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('"2"');
      await waitForRotation(started.body.id as string);

      const [after] = await sql<{ version: number }>(
        api,
        'select version::int from member_key where member_id = $1',
        [id],
      );
      expect(after.version).toBe(before.version + 1);
      const read = await api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${syncToken}`);
      expect(read.status).toBe(200);
      const { eventId: _e, occurredAt: _o, sourceRef: _s, organizationId: _g, ...groups } = body;
      expect(read.body).toMatchObject({ ...groups, preferences, version: 2 });
    } finally {
      await sql(api, 'drop trigger if exists test_slow_key_update on member_key');
      await sql(api, 'drop function if exists test_slow_key_update()');
    }
  }, 60_000);

  async function waitForRotation(rotationId: string): Promise<void> {
    await until(async () => {
      const res = await api
        .http()
        .get(`/api/v1/admin/keys/rotations/${rotationId}`)
        .set('authorization', `Bearer ${security.accessToken}`);
      return res.body.status !== 'running';
    });
  }

  it('guards the queue dashboard: no token 401, a partner 401/403, an operator sees it', async () => {
    expect((await api.http().get('/admin/queues')).status).toBe(401);
    expect((await api.http().get('/admin/queues').set('authorization', `Bearer ${syncToken}`)).status).toBe(
      403,
    );
    const page = await api.http().get('/admin/queues').set('authorization', `Bearer ${operator.accessToken}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
  });
});
