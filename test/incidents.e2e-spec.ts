import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import { KeyProvider, WrappedSecretOwners } from '@app/crypto';
import { adminPost, createClient, loginAdmin, sql, type AdminSession } from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(20261201);

const PROBLEM = 'https://member-sync.dev/problems/';
const MINUTE = 60_000;

type Body = ReturnType<typeof syntheticMember>;

describe('breach incidents /api/v1/admin/incidents', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let operator: AdminSession;
  let organizationId: string;
  /** The compromised client: its secret is kept, to show the token endpoint refuses it after containment. */
  let compromised: { clientId: string; clientSecret?: string };
  let compromisedToken: string;
  let otherToken: string;
  /** A, B, C read by the compromised client in the window; D before it, E after it; F by another client in it. */
  const members: Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F', { id: string; body: Body }> = {} as never;
  let from: string;
  let to: string;
  let incidentId: string;

  const as = (admin: AdminSession) => ({
    get: (path: string) => api.http().get(path).set('authorization', `Bearer ${admin.accessToken}`),
    post: (path: string, body: object) => adminPost(api, admin.accessToken, path, body),
    put: (path: string, body: object) =>
      api.http().put(path).set('authorization', `Bearer ${admin.accessToken}`).send(body),
  });
  const read = (token: string, memberId: string) =>
    api.http().get(`/api/v1/members/${memberId}`).set('authorization', `Bearer ${token}`);

  /** A partner with its own signed BAA, and a client of it (secret kept). */
  async function partner(options: {
    type: 'benefits_admin' | 'membership_system';
    categories: string[];
    scopes: string[];
  }): Promise<{ clientId: string; clientSecret?: string }> {
    const vendor = await as(officer).post('/api/v1/admin/vendors', {
      name: faker.company.name(),
      role: 'partner',
      baa: {
        status: 'signed',
        signedAt: '2026-01-02',
        effectiveFrom: '2026-01-02',
        expiresAt: '2028-01-01',
        documentSha256: 'a'.repeat(64),
        permittedCategories: options.categories,
      },
    });
    expect(vendor.status).toBe(201);
    const created = await as(officer).post('/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId: vendor.body.id,
      type: options.type,
      organizationIds: [organizationId],
      categories: options.categories,
      purpose: 'operations',
      requiresConsent: false,
    });
    expect(created.status).toBe(201);
    return createClient(api, security.accessToken, created.body.id, {
      authMethod: 'client_secret_basic',
      scopes: options.scopes as never,
    });
  }

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    operator = await loginAdmin(api, clock, 'operator');
    organizationId = (await as(officer).post('/api/v1/admin/organizations', { name: faker.company.name() }))
      .body.id;
    const source = await partner({
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
      scopes: ['sync:write', 'members:read', 'members:write'],
    });
    const sourceToken = await clientToken(api, source);
    for (const name of ['A', 'B', 'C', 'D', 'E', 'F'] as const) {
      const body = syntheticMember(organizationId);
      members[name] = { id: await createMember(api, sourceToken, body), body };
    }
    compromised = await partner({
      type: 'benefits_admin',
      categories: ['identity', 'contact', 'coverage'],
      scopes: ['members:read'],
    });
    compromisedToken = await clientToken(api, compromised);
    otherToken = await clientToken(
      api,
      await partner({ type: 'benefits_admin', categories: ['identity'], scopes: ['members:read'] }),
    );

    // The known access pattern, on the app's clock: D, then the window [from, to) with A, B, C (A twice)
    // by the compromised client and F by another client, then E.
    expect((await read(compromisedToken, members.D.id)).status).toBe(200);
    clock.advance(MINUTE);
    from = clock.now().toISOString();
    clock.advance(1000);
    for (const name of ['A', 'B', 'C', 'A'] as const) {
      expect((await read(compromisedToken, members[name].id)).status).toBe(200);
    }
    expect((await read(otherToken, members.F.id)).status).toBe(200);
    clock.advance(MINUTE);
    to = clock.now().toISOString();
    clock.advance(1000);
    expect((await read(compromisedToken, members.E.id)).status).toBe(200);

    const created = await as(officer).post('/api/v1/admin/incidents', {
      discoveredAt: clock.now().toISOString(),
      description: 'Partner reported its client secret was posted in a public repository.',
      clientId: compromised.clientId,
      from,
      to,
    });
    expect(created.status).toBe(201);
    incidentId = created.body.id;
  });
  afterAll(() => api.close());

  it('lists exactly the members the compromised client read in the window', async () => {
    const listed = await as(officer).get(`/api/v1/admin/incidents/${incidentId}/members`).query({ limit: 2 });
    expect(listed.status).toBe(200);
    expect(listed.body.nextCursor).toEqual(expect.any(String));
    const rest = await as(officer)
      .get(`/api/v1/admin/incidents/${incidentId}/members`)
      .query({ cursor: listed.body.nextCursor });
    expect(rest.status).toBe(200);
    expect(rest.body.nextCursor).toBeNull();
    const ids = [...listed.body.data, ...rest.body.data].map((m: { memberId: string }) => m.memberId);
    expect(ids.sort()).toEqual([members.A.id, members.B.id, members.C.id].sort());
    for (const m of [...listed.body.data, ...rest.body.data]) expect(m.organizationId).toBe(organizationId);

    const incident = await as(officer).get(`/api/v1/admin/incidents/${incidentId}`);
    expect(incident.status).toBe(200);
    expect(incident.body).toMatchObject({
      id: incidentId,
      clientId: compromised.clientId,
      window: { from, to },
      affectedMembers: { count: 3, stateUnknown: 0 },
      categories: ['contact', 'coverage', 'identity'],
      determination: 'breach',
      assessment: null,
    });
    const byState = incident.body.affectedMembers.residentsByState as Record<string, number>;
    expect(Object.values(byState).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('computes the deadlines: individuals and HHS (annual log under 500), no media notice for a small incident', async () => {
    const { body } = await as(security).get(`/api/v1/admin/incidents/${incidentId}`);
    const discovered = new Date(body.discoveredAt);
    const sixtyDays = new Date(
      Date.UTC(discovered.getUTCFullYear(), discovered.getUTCMonth(), discovered.getUTCDate() + 60),
    )
      .toISOString()
      .slice(0, 10);
    const year = discovered.getUTCFullYear() + 1;
    const annual = new Date(Date.UTC(year, 1, 29)).getUTCMonth() === 1 ? `${year}-02-29` : `${year}-03-01`;
    expect(body.deadlines).toEqual({
      individuals: { dueBy: sixtyDays },
      hhs: { dueBy: annual, route: 'annual_log' },
    });
    expect(body.deadlines.media).toBeUndefined();
  });

  it('records the four-factor assessment, and the determination follows it', async () => {
    const factor = (level: string) => ({ level, note: 'Reviewed with the partner.' });
    const low = {
      natureAndExtent: factor('low'),
      unauthorizedPerson: factor('low'),
      acquiredOrViewed: { ...factor('low'), acquired: false },
      mitigation: factor('low'),
      reason: 'Initial assessment with the partner',
    };
    const assessed = await as(officer).put(`/api/v1/admin/incidents/${incidentId}/assessment`, low);
    expect(assessed.status).toBe(200);
    expect(assessed.body.determination).toBe('low_probability');
    expect(assessed.body.assessment.acquiredOrViewed).toEqual({
      level: 'low',
      acquired: false,
      note: 'Reviewed with the partner.',
    });
    const acquired = await as(officer).put(`/api/v1/admin/incidents/${incidentId}/assessment`, {
      ...low,
      acquiredOrViewed: { ...factor('medium'), acquired: true },
      reason: 'Partner logs show the records were downloaded',
    });
    expect(acquired.body.determination).toBe('breach');
    expect((await as(officer).get(`/api/v1/admin/incidents/${incidentId}`)).body.determination).toBe(
      'breach',
    );

    const refused = await as(officer).put(`/api/v1/admin/incidents/${incidentId}/assessment`, {
      ...low,
      mitigation: { level: 'none', note: '' },
    });
    expect(refused.status).toBe(400);
  });

  it('generates letters with name and mailing address but no SSN, date of birth or email, each generation audited', async () => {
    const early = await as(officer).get(`/api/v1/admin/incidents/${incidentId}/letters`);
    expect(early.status).toBe(409);
    const notice = await as(officer).put(`/api/v1/admin/incidents/${incidentId}/notification`, {
      contact: { phone: '1-800-555-0100', email: 'privacy@example.test' },
      whatWeAreDoing: 'We revoked the partner credentials and are reviewing all integrations.',
      actionsTaken: ['took_steps_to_mitigate_harm'],
      reason: 'Notice text approved by counsel',
    });
    expect(notice.status).toBe(200);

    const letters = await as(officer).get(`/api/v1/admin/incidents/${incidentId}/letters`);
    expect(letters.status).toBe(200);
    expect(letters.body.unaddressable).toEqual([]);
    expect(letters.body.data.map((l: { memberId: string }) => l.memberId).sort()).toEqual(
      [members.A.id, members.B.id, members.C.id].sort(),
    );
    for (const letter of letters.body.data) {
      const member = Object.values(members).find((m) => m.id === letter.memberId)!.body;
      const text = JSON.stringify(letter);
      // Positive control: the letter is addressed to this member, so the absences below mean something.
      expect(letter.addressee.name).toBe(`${member.identity.givenName} ${member.identity.familyName}`);
      expect(text).toContain(member.contact.address.line1);
      expect(text).not.toContain(member.governmentId.ssn);
      expect(text).not.toContain(member.identity.dateOfBirth);
      expect(text).not.toContain(member.contact.email);
      expect(text).not.toContain(member.contact.phone);
      expect(text).not.toContain(member.membership.externalMemberNumber);
    }

    const reads = await sql<{ resource_ids: string[]; categories: string[]; actor_id: string }>(
      api,
      `select resource_ids, categories, actor_id from audit_event
        where action = 'member.read' and purpose = 'breach_notification' and categories @> array['identity']`,
    );
    expect(reads).toHaveLength(1);
    expect(reads[0].actor_id).toBe(officer.id);
    expect(reads[0].resource_ids.sort()).toEqual([members.A.id, members.B.id, members.C.id].sort());
    expect(reads[0].categories.sort()).toEqual(['contact', 'identity']);
  });

  it('gives the HHS report fields without any individual data', async () => {
    const report = await as(security).get(`/api/v1/admin/incidents/${incidentId}/hhs-report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      breachStartDate: from.slice(0, 10),
      breachEndDate: to.slice(0, 10),
      numberAffected: 3,
      typeOfBreach: 'hacking_it_incident',
      locationOfBreachedInformation: 'network_server',
      actionsTaken: ['took_steps_to_mitigate_harm'],
      submission: { route: 'annual_log' },
    });
    const text = JSON.stringify(report.body);
    for (const { id, body } of Object.values(members)) {
      expect(text).not.toContain(id);
      expect(text).not.toContain(body.identity.familyName);
    }
  });

  it('stores the description sealed: its words are nowhere in the incident rows', async () => {
    const rows = await sql<{ row: string }>(
      api,
      `select (select row_to_json(i)::text from incident i where id = $1) as row`,
      [incidentId],
    );
    expect(rows[0].row).toContain(incidentId);
    expect(rows[0].row).not.toContain('public repository');
    const { body } = await as(officer).get(`/api/v1/admin/incidents/${incidentId}`);
    expect(body.description).toContain('public repository');
  });

  it('a KEK rotation re-wraps the incident key and the description still reads', async () => {
    const kekOf = async () =>
      (
        await sql<{ kek: string }>(api, `select text_key->>'kek' as kek from incident where id = $1`, [
          incidentId,
        ])
      )[0].kek;
    const before = await kekOf();
    await api.app.get(KeyProvider).rotate();
    const owner = api.app
      .get(WrappedSecretOwners)
      .all()
      .find((o) => o.name === 'incident')!;
    expect(await owner.count()).toBe(1);
    expect((await owner.rewrapBatch(null, 100, { reencrypt: false })).count).toBe(1);
    expect(await kekOf()).not.toBe(before);
    const { body } = await as(officer).get(`/api/v1/admin/incidents/${incidentId}`);
    expect(body.description).toContain('public repository');
  });

  it('contain revokes the client at once: the token that worked just before gets 401, a new token is refused', async () => {
    expect((await read(compromisedToken, members.A.id)).status).toBe(200);
    const contained = await as(security).post(`/api/v1/admin/incidents/${incidentId}/contain`, {
      reason: 'Compromised secret, incident response',
    });
    expect(contained.status).toBe(200);
    expect(contained.body).toMatchObject({
      id: incidentId,
      clientId: compromised.clientId,
      alreadyRevoked: false,
    });

    const after = await read(compromisedToken, members.A.id);
    expect(after.status).toBe(401);
    const token = await api
      .http()
      .post('/oauth/token')
      .auth(compromised.clientId, compromised.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(token.status).toBe(401);
    // Another partner's client is untouched.
    expect((await read(otherToken, members.F.id)).status).toBe(200);

    // DESIGN §4 gives contain no body: a script may send none, and the reason then names the incident.
    const again = await as(officer).post(`/api/v1/admin/incidents/${incidentId}/contain`, {});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ containedAt: contained.body.containedAt, alreadyRevoked: true });

    const trail = await sql<{ action: string; actor_id: string; reason: string }>(
      api,
      `select action, actor_id, reason from audit_event
        where action in ('incident.create', 'incident.assess', 'incident.notification', 'incident.contain', 'client.revoke')
        order by seq`,
    );
    expect(trail.map((e) => [e.action, e.actor_id])).toEqual([
      ['incident.create', officer.id],
      ['incident.assess', officer.id],
      ['incident.assess', officer.id],
      ['incident.notification', officer.id],
      ['client.revoke', security.id],
      ['incident.contain', security.id],
      ['incident.contain', officer.id],
    ]);
    expect(trail.find((e) => e.action === 'client.revoke')!.reason).toBe(
      'Compromised secret, incident response',
    );
  });

  it('refuses an operator (403) and a security admin recording an incident (403)', async () => {
    expect((await as(operator).get(`/api/v1/admin/incidents/${incidentId}`)).status).toBe(403);
    expect((await as(operator).get('/api/v1/admin/incidents')).status).toBe(403);
    expect(
      (await as(operator).post(`/api/v1/admin/incidents/${incidentId}/contain`, { reason: 'x' })).status,
    ).toBe(403);
    const bySecurity = await as(security).post('/api/v1/admin/incidents', {
      discoveredAt: clock.now().toISOString(),
      description: 'x',
    });
    expect(bySecurity.status).toBe(403);
    expect((await as(security).get(`/api/v1/admin/incidents/${incidentId}/letters`)).status).toBe(403);
  });

  it('refuses a window that ends before it starts (422), an unknown incident (404), a forged cursor (400)', async () => {
    const backwards = await as(officer).post('/api/v1/admin/incidents', {
      discoveredAt: clock.now().toISOString(),
      description: 'Window typed backwards',
      clientId: compromised.clientId,
      from: to,
      to: from,
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.type).toBe(`${PROBLEM}unprocessable-entity`);
    // A mistyped client id must not yield an incident that silently affects nobody.
    const unknownClient = await as(officer).post('/api/v1/admin/incidents', {
      discoveredAt: clock.now().toISOString(),
      description: 'Client id typed wrong',
      clientId: 'cli_00000000000000000000000000',
    });
    expect(unknownClient.status).toBe(422);
    expect(unknownClient.body.type).toBe(`${PROBLEM}unprocessable-entity`);
    const tooLong = await as(officer).post('/api/v1/admin/incidents', {
      discoveredAt: clock.now().toISOString(),
      description: 'x'.repeat(4001),
    });
    expect(tooLong.status).toBe(400);
    const missing = await as(officer).get('/api/v1/admin/incidents/inc_00000000000000000000000000');
    expect(missing.status).toBe(404);
    const forged = await as(officer)
      .get(`/api/v1/admin/incidents/${incidentId}/members`)
      .query({ cursor: 'eyJhbGciOiJIUzI1NiJ9.e30.x' });
    expect(forged.status).toBe(400);
  });

  it('lists incidents newest first with cursor paging, and one without a client affects no member', async () => {
    clock.advance(1000);
    const manual = await as(officer).post('/api/v1/admin/incidents', {
      discoveredAt: clock.now().toISOString(),
      description: 'A misdirected fax, recorded by hand.',
    });
    expect(manual.status).toBe(201);
    const first = await as(security).get('/api/v1/admin/incidents').query({ limit: 1 });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      expect.objectContaining({ id: manual.body.id, affectedMembers: 0, determination: 'breach' }),
    ]);
    const second = await as(security)
      .get('/api/v1/admin/incidents')
      .query({ limit: 1, cursor: first.body.nextCursor });
    expect(second.body.data.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    expect(second.body.nextCursor).toBeNull();
    const contain = await as(officer).post(`/api/v1/admin/incidents/${manual.body.id}/contain`, {
      reason: 'Nothing to revoke',
    });
    expect(contain.status).toBe(409);
  });
});
