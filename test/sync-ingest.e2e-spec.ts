import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { faker } from '@faker-js/faker';
import {
  type Actor,
  DATA_CATEGORIES,
  ManualClock,
  type PartnerPrincipal,
  type PartnerScope,
} from '@app/common';
import { MemberWriter } from '@app/members';
import { ChangeGroupCommit, IngestService } from '@app/sync';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(10410);

const PROBLEM = 'https://member-sync.dev/problems/';
/** Times at the sender: minute `n` of a fixed day, so "older" and "newer" are explicit. */
const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();
const eventId = () => `evt-${faker.string.alphanumeric(16)}`;
const sourceRef = () => `src-${faker.string.alphanumeric(16)}`;
const phone = () => `+1555${faker.string.numeric(7)}`;
/** A synthetic surname unlikely to occur anywhere else in the database: a canary. */
const surname = () => `${faker.person.lastName()}${faker.string.alpha({ length: 8, casing: 'lower' })}`;

describe('sync ingest: signed updates, batches, conflict policies, reconciliation cases', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let operator: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let platform: PartnerSetup;

  const update = (memberId: string, body: object, token = syncToken, headers: Record<string, string> = {}) =>
    postSigned(api, token, `/api/v1/members/${memberId}/updates`, body, headers);
  const batch = (updates: object[], token = syncToken) =>
    postSigned(api, token, '/api/v1/sync/batches', { updates });
  const read = (id: string) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${syncToken}`);
  const admin = (session: AdminSession) => ({
    get: (path: string) => api.http().get(path).set('authorization', `Bearer ${session.accessToken}`),
    post: (path: string, body: object) =>
      api.http().post(path).set('authorization', `Bearer ${session.accessToken}`).send(body),
  });

  /** A member created by the source at minute 0. */
  async function member(overrides: Record<string, unknown> = {}) {
    const body = syntheticMember(source.organizationId, {
      sourceRef: sourceRef(),
      occurredAt: at(0),
      ...overrides,
    });
    return { id: await createMember(api, syncToken, body), body };
  }

  /**
   * The platform's side. No platform integration type may hold sync:write (scopes table), so the
   * platform's changes come in through the service as its partner would send them.
   */
  function platformActor(): Actor {
    const principal: PartnerPrincipal = {
      kind: 'partner_client',
      id: 'cli_PLATFORMFIXTURE000000000000',
      partnerId: platform.partnerId,
      partnerType: 'benefits_admin',
      vendorId: platform.vendorId,
      organizationIds: [source.organizationId],
      categories: [...DATA_CATEGORIES],
      purpose: 'operations',
      requiresConsent: false,
      scopes: new Set<PartnerScope>(['sync:write']),
    };
    return {
      principal,
      request: { ip: '127.0.0.1', method: 'POST', route: 'test fixtures', requestId: randomUUID() },
    };
  }

  /** A platform-side amendment of a member's family name (the amendment route will write the same way). */
  async function platformAmends(memberId: string, familyName: string, minute: number) {
    const writer = api.app.get(MemberWriter);
    await api.app
      .get(EntityManager)
      .fork()
      .transactional(async (em) => {
        const locked = await writer.lockStamped(em, memberId);
        await writer.replaceFields(
          em,
          locked!,
          { familyName },
          {
            sender: 'adm_PLATFORMAMENDMENT000000000',
            occurredAt: new Date(at(minute)),
            now: clock.now(),
            side: 'b2b_platform',
          },
        );
      });
  }

  const openCases = async () =>
    (await admin(officer).get('/api/v1/admin/reconciliation-cases?status=open')).body;

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    operator = await loginAdmin(api, clock, 'operator');
    source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    syncToken = await clientToken(api, client);
    platform = await setupPartner(api, officer.accessToken, {
      type: 'benefits_admin',
      categories: [...DATA_CATEGORIES],
    });
  });
  afterAll(() => api.close());

  describe('POST /api/v1/members/{memberId}/updates', () => {
    it('applies a signed update, bumps the version and reads it back, audited with its category', async () => {
      const { id, body } = await member();
      const newPhone = phone();
      const res = await update(id, {
        eventId: eventId(),
        occurredAt: at(5),
        changes: { contact: { phone: newPhone } },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ result: 'applied', id, version: 2 });

      const got = await read(id);
      expect(got.body.version).toBe(2);
      expect(got.body.contact).toEqual({ ...body.contact, phone: newPhone });
      const events = await sql<{ categories: string[]; outcome: string }>(
        api,
        `select categories, outcome from audit_event where action = 'member.update' and $1 = any(resource_ids)`,
        [id],
      );
      expect(events).toEqual([{ categories: ['contact'], outcome: 'success' }]);
    });

    it('answers a stale update 409 naming the field, never the value, and keeps the newer value', async () => {
      const { id } = await member();
      const newer = phone();
      const older = phone();
      expect(
        (await update(id, { eventId: eventId(), occurredAt: at(10), changes: { contact: { phone: newer } } }))
          .status,
      ).toBe(200);

      const res = await update(id, {
        eventId: eventId(),
        occurredAt: at(9),
        changes: { contact: { phone: older } },
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        type: `${PROBLEM}change-conflict`,
        memberId: id,
        fields: [{ field: 'contact.phone', reason: 'stale' }],
      });
      expect(res.text).not.toContain(older);
      expect(res.text).not.toContain(older.slice(1));
      const got = await read(id);
      expect(got.body.contact.phone).toBe(newer);
      expect(got.body.version).toBe(2);
    });

    it('applies the newer fields of a partly stale change and lists the skipped ones', async () => {
      const { id } = await member();
      await update(id, { eventId: eventId(), occurredAt: at(10), changes: { contact: { phone: phone() } } });
      const res = await update(id, {
        eventId: eventId(),
        occurredAt: at(8),
        changes: {
          contact: { phone: phone() },
          coverage: { planCode: 'PPO-NEW' },
          identity: { sex: 'unknown' },
        },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        result: 'applied',
        id,
        version: 3,
        skipped: [{ field: 'contact.phone', reason: 'stale' }],
      });
      const got = await read(id);
      expect(got.body.coverage.planCode).toBe('PPO-NEW');
      expect(got.body.identity.sex).toBe('unknown');
    });

    it('refuses preferences from the membership system: 409 not the owner; owned fields beside them apply', async () => {
      const { id, body } = await member();
      const res = await update(id, {
        eventId: eventId(),
        occurredAt: at(5),
        changes: { preferences: { channel: 'sms' } },
      });
      expect(res.status).toBe(409);
      expect(res.body.fields).toEqual([{ field: 'preferences.channel', reason: 'not_owner' }]);
      expect((await read(id)).body).toMatchObject({ version: 1, preferences: body.preferences });

      const newPhone = phone();
      const mixed = await update(id, {
        eventId: eventId(),
        occurredAt: at(6),
        changes: { preferences: { channel: 'sms' }, contact: { phone: newPhone } },
      });
      expect(mixed.body).toEqual({
        result: 'applied',
        id,
        version: 2,
        skipped: [{ field: 'preferences.channel', reason: 'not_owner' }],
      });
      const got = await read(id);
      expect(got.body.preferences).toEqual(body.preferences);
      expect(got.body.contact.phone).toBe(newPhone);
    });

    it('refuses coverage from a platform partner: not the owner', async () => {
      const { id, body } = await member();
      const sut = api.app.get(IngestService);
      await expect(
        sut.update(platformActor(), id, {
          eventId: eventId(),
          occurredAt: at(30),
          changes: { coverage: { planCode: 'HMO-X' } },
        }),
      ).rejects.toMatchObject({
        type: 'change-conflict',
        extensions: { fields: [{ field: 'coverage.planCode', reason: 'not_owner' }] },
      });
      expect((await read(id)).body.coverage).toEqual(body.coverage);
    });

    it('merges wellness programs by programCode', async () => {
      const programs = [
        { programCode: 'WALK-1', enrolledAt: '2026-01-01', status: 'active' },
        { programCode: 'SLEEP-1', enrolledAt: '2026-02-01', status: 'active' },
      ];
      const { id } = await member({ wellness: { programs } });
      const res = await update(id, {
        eventId: eventId(),
        occurredAt: at(5),
        changes: {
          wellness: {
            programs: [
              { programCode: 'SLEEP-1', enrolledAt: '2026-02-01', status: 'completed' },
              { programCode: 'YOGA-1', enrolledAt: '2026-03-01', status: 'active' },
            ],
          },
        },
      });
      expect(res.status).toBe(200);
      expect((await read(id)).body.wellness.programs).toEqual([
        programs[0],
        { programCode: 'SLEEP-1', enrolledAt: '2026-02-01', status: 'completed' },
        { programCode: 'YOGA-1', enrolledAt: '2026-03-01', status: 'active' },
      ]);
    });

    it('applies an event once: the same eventId under another webhook-id answers duplicate', async () => {
      const { id } = await member();
      const body = { eventId: eventId(), occurredAt: at(5), changes: { contact: { phone: phone() } } };
      const first = await update(id, body);
      expect(first.body).toEqual({ result: 'applied', id, version: 2 });
      const again = await update(id, body);
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body).toEqual({ result: 'duplicate', id, version: 2 });
      const viaBatch = await batch([{ memberId: id, ...body }]);
      expect(viaBatch.body.results).toEqual([{ result: 'duplicate', id, version: 2 }]);
      expect((await read(id)).body.version).toBe(2);
      const changes = await sql<{ n: number }>(
        api,
        'select count(*)::int as n from member_change where member_id = $1',
        [id],
      );
      expect(changes[0].n).toBe(2);
    });

    it('applies an event sent five times at once exactly once', async () => {
      const { id } = await member();
      const body = { eventId: eventId(), occurredAt: at(5), changes: { contact: { phone: phone() } } };
      const answers = await Promise.all(Array.from({ length: 5 }, () => update(id, body)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(answers.map((a) => a.body.result).sort()).toEqual([
        'applied',
        'duplicate',
        'duplicate',
        'duplicate',
        'duplicate',
      ]);
      expect(answers.every((a) => a.body.version === 2)).toBe(true);
      expect((await read(id)).body.version).toBe(2);
    });

    it("answers another source's member 404, like a missing one", async () => {
      const other = await setupPartner(api, officer.accessToken, {
        type: 'membership_system',
        categories: [...DATA_CATEGORIES],
      });
      const otherClient = await createClient(api, security.accessToken, other.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['sync:write'],
      });
      const otherToken = await clientToken(api, otherClient);
      const theirs = await createMember(
        api,
        otherToken,
        syntheticMember(other.organizationId, { sourceRef: sourceRef() }),
      );

      const res = await update(theirs, {
        eventId: eventId(),
        occurredAt: at(5),
        changes: { contact: { phone: phone() } },
      });
      expect(res.status).toBe(404);
      expect(res.body.type).toBe(`${PROBLEM}not-found`);
      const viaBatch = await batch([
        { memberId: theirs, eventId: eventId(), occurredAt: at(5), changes: { contact: { phone: phone() } } },
      ]);
      expect(viaBatch.body.results).toEqual([
        expect.objectContaining({ result: 'rejected', type: `${PROBLEM}not-found` }),
      ]);
      const [version] = await sql<{ version: string }>(api, 'select version from member where id = $1', [
        theirs,
      ]);
      expect(Number(version.version)).toBe(1);
    });

    it('refuses an unsigned update (401) and an invalid change (400 naming fields only)', async () => {
      const { id } = await member();
      const unsigned = await api
        .http()
        .post(`/api/v1/members/${id}/updates`)
        .set('authorization', `Bearer ${syncToken}`)
        .send({ eventId: eventId(), occurredAt: at(5), changes: { contact: { phone: phone() } } });
      expect(unsigned.status).toBe(401);
      const invalid = await update(id, {
        eventId: eventId(),
        occurredAt: at(5),
        changes: { contact: { phone: 'call-me-maybe' } },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.text).not.toContain('call-me-maybe');
    });
  });

  describe('reconciliation cases', () => {
    it('opens a case when both sides changed a name; take_theirs applies it, audited; the proposal is never in clear', async () => {
      const { id } = await member();
      const ours = surname();
      const theirs = surname();
      await platformAmends(id, ours, 20);

      const res = await update(id, {
        eventId: eventId(),
        occurredAt: at(21),
        changes: { identity: { familyName: theirs } },
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        type: `${PROBLEM}change-conflict`,
        fields: [{ field: 'identity.familyName', reason: 'manual' }],
        caseId: expect.stringMatching(/^rcn_[0-9A-HJKMNP-TV-Z]{26}$/),
      });
      expect(res.text).not.toContain(theirs);
      const caseId = res.body.caseId as string;
      expect((await read(id)).body.identity.familyName).toBe(ours);

      const listed = await openCases();
      expect(listed.data).toContainEqual({
        id: caseId,
        memberId: id,
        fields: ['identity.familyName'],
        openedAt: expect.any(String),
      });

      const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
        maxBuffer: 256 * 1024 * 1024,
      }).toString();
      expect(dump).toContain(caseId);
      expect(dump).not.toContain(theirs);

      const resolved = await admin(officer).post(`/api/v1/admin/reconciliation-cases/${caseId}/resolve`, {
        resolution: 'take_theirs',
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toEqual({ memberId: id, version: 3 });
      const got = await read(id);
      expect(got.body.identity.familyName).toBe(theirs);
      expect(got.body.version).toBe(3);
      const [audited] = await sql<{ actor_id: string; reason: string; categories: string[] }>(
        api,
        `select actor_id, reason, categories from audit_event where action = 'reconciliation_case.resolve' and $1 = any(resource_ids)`,
        [caseId],
      );
      expect(audited).toEqual({ actor_id: officer.id, reason: 'take_theirs', categories: ['identity'] });
      expect((await openCases()).data.map((c: { id: string }) => c.id)).not.toContain(caseId);
      const twice = await admin(officer).post(`/api/v1/admin/reconciliation-cases/${caseId}/resolve`, {
        resolution: 'keep_ours',
      });
      expect(twice.status).toBe(409);
    });

    it("keep_ours leaves the value and the version; new_value writes the officer's value", async () => {
      const { id } = await member();
      const ours = surname();
      await platformAmends(id, ours, 20);
      const first = await update(id, {
        eventId: eventId(),
        occurredAt: at(21),
        changes: { identity: { familyName: surname() } },
      });
      const kept = await admin(officer).post(
        `/api/v1/admin/reconciliation-cases/${first.body.caseId}/resolve`,
        {
          resolution: 'keep_ours',
        },
      );
      expect(kept.body).toEqual({ memberId: id, version: 2 });
      expect((await read(id)).body.identity.familyName).toBe(ours);

      const second = await update(id, {
        eventId: eventId(),
        occurredAt: at(22),
        changes: { identity: { familyName: surname() } },
      });
      expect(second.status).toBe(409);
      const decided = surname();
      const outside = await admin(officer).post(
        `/api/v1/admin/reconciliation-cases/${second.body.caseId}/resolve`,
        {
          resolution: 'new_value',
          value: { identity: { familyName: decided, givenName: 'Other' } },
        },
      );
      expect(outside.status).toBe(400);
      const written = await admin(officer).post(
        `/api/v1/admin/reconciliation-cases/${second.body.caseId}/resolve`,
        {
          resolution: 'new_value',
          value: { identity: { familyName: decided } },
        },
      );
      expect(written.body).toEqual({ memberId: id, version: 3 });
      expect((await read(id)).body.identity.familyName).toBe(decided);
    });

    it('lets only the reconciliation scope list and resolve cases', async () => {
      expect((await admin(operator).get('/api/v1/admin/reconciliation-cases')).status).toBe(403);
      const res = await api
        .http()
        .get('/api/v1/admin/reconciliation-cases')
        .set('authorization', `Bearer ${syncToken}`);
      expect(res.status).toBe(403);
      const missing = await admin(officer).post(
        '/api/v1/admin/reconciliation-cases/rcn_0000000000000000000000000A/resolve',
        { resolution: 'keep_ours' },
      );
      expect(missing.status).toBe(404);
    });
  });

  describe('POST /api/v1/sync/batches', () => {
    it('answers one result per item, in order, and one bad item fails only itself', async () => {
      const { id } = await member();
      await update(id, { eventId: eventId(), occurredAt: at(10), changes: { contact: { phone: phone() } } });
      const created = {
        sourceRef: sourceRef(),
        eventId: eventId(),
        occurredAt: at(3),
        changes: syntheticGroups(),
      };
      const res = await batch([
        {
          memberId: id,
          eventId: eventId(),
          occurredAt: at(11),
          changes: { coverage: { planCode: 'EPO-9' } },
        },
        { memberId: id, eventId: eventId(), occurredAt: at(9), changes: { contact: { phone: phone() } } },
        {
          memberId: id,
          eventId: eventId(),
          occurredAt: at(12),
          changes: { preferences: { language: 'es' } },
        },
        {
          memberId: id,
          eventId: eventId(),
          occurredAt: at(12),
          changes: { contact: { phone: 'not-a-phone' } },
        },
        {
          memberId: 'mbr_00000000000000000000000000',
          eventId: eventId(),
          occurredAt: at(12),
          changes: { contact: { phone: phone() } },
        },
        created,
        {
          sourceRef: sourceRef(),
          eventId: eventId(),
          occurredAt: at(4),
          changes: { contact: { phone: phone() } },
        },
        {
          sourceRef: created.sourceRef,
          eventId: eventId(),
          occurredAt: at(13),
          changes: { coverage: { planCode: 'PPO-2' } },
        },
      ]);
      expect(res.status).toBe(200);
      const results = res.body.results;
      expect(results).toHaveLength(8);
      expect(results[0]).toEqual({ result: 'applied', id, version: 3 });
      expect(results[1]).toEqual({
        result: 'conflict',
        id,
        fields: [{ field: 'contact.phone', reason: 'stale' }],
      });
      expect(results[2]).toEqual({
        result: 'conflict',
        id,
        fields: [{ field: 'preferences.language', reason: 'not_owner' }],
      });
      expect(results[3]).toMatchObject({
        result: 'rejected',
        type: `${PROBLEM}validation-failed`,
        fields: ['changes.contact.phone'],
      });
      expect(results[4]).toMatchObject({ result: 'rejected', type: `${PROBLEM}not-found` });
      expect(results[5]).toEqual({
        result: 'applied',
        id: expect.stringMatching(/^mbr_/),
        version: 1,
        created: true,
      });
      expect(results[6]).toMatchObject({ result: 'rejected', type: `${PROBLEM}validation-failed` });
      expect(results[7]).toEqual({ result: 'applied', id: results[5].id, version: 2 });
      expect(res.text).not.toContain('not-a-phone');

      const made = await read(results[5].id);
      expect(made.body.organizationId).toBe(source.organizationId);
      expect(made.body.identity).toEqual(created.changes.identity);
      expect(made.body.coverage.planCode).toBe('PPO-2');
    });

    it('commits a batch in shared transactions, each change in its own savepoint', async () => {
      const members = await Promise.all(Array.from({ length: 30 }, () => member()));
      const phones = members.map(() => phone());
      const before = api.app.get(ChangeGroupCommit).stats();
      const res = await batch(
        members.map(({ id }, i) => ({
          memberId: id,
          eventId: eventId(),
          occurredAt: at(5),
          changes: { contact: { phone: phones[i] } },
        })),
      );
      expect(res.body.results).toEqual(members.map(({ id }) => ({ result: 'applied', id, version: 2 })));
      const after = api.app.get(ChangeGroupCommit).stats();
      expect(after.changes - before.changes).toBe(30);
      expect(after.transactions - before.transactions).toBeLessThan(10);
      expect((await read(members[29].id)).body.contact.phone).toBe(phones[29]);
    });

    it('fails only the change whose member fails its integrity check; its neighbours commit', async () => {
      const [first, broken, last] = await Promise.all([member(), member(), member()]);
      // The phone ciphertext of another member: its AAD names another member, so it must not open.
      await sql(
        api,
        'update member set phone_enc = (select phone_enc from member where id = $1) where id = $2',
        [first.id, broken.id],
      );
      const change = (id: string) => ({
        memberId: id,
        eventId: eventId(),
        occurredAt: at(5),
        changes: { coverage: { planCode: 'PPO-SAVEPOINT' } },
      });
      const res = await batch([change(first.id), change(broken.id), change(last.id)]);
      expect(res.body.results).toEqual([
        { result: 'applied', id: first.id, version: 2 },
        expect.objectContaining({ result: 'rejected', type: `${PROBLEM}integrity-violation` }),
        { result: 'applied', id: last.id, version: 2 },
      ]);
      const versions = await sql<{ id: string; version: string }>(
        api,
        'select id, version from member where id = any($1)',
        [[first.id, broken.id, last.id]],
      );
      expect(Object.fromEntries(versions.map((v) => [v.id, Number(v.version)]))).toEqual({
        [first.id]: 2,
        [broken.id]: 1,
        [last.id]: 2,
      });
    });

    it('refuses more than 1,000 updates as a whole', async () => {
      const item = {
        memberId: 'mbr_00000000000000000000000000',
        eventId: 'evt-1',
        occurredAt: at(1),
        changes: { identity: { sex: 'unknown' } },
      };
      const res = await batch(Array.from({ length: 1001 }, () => item));
      expect(res.status).toBe(413);
      expect(res.body.type).toBe(`${PROBLEM}payload-too-large`);
    });
  });

  /** A complete member's groups (what a create needs), from the seeded generator. */
  function syntheticGroups() {
    const {
      eventId: _e,
      occurredAt: _o,
      sourceRef: _s,
      organizationId: _org,
      ...groups
    } = syntheticMember(source.organizationId);
    return groups;
  }
});
