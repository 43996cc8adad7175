import { createHash } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Webhook } from 'standardwebhooks';
import { ManualClock } from '@app/common';
import { RightsOverdueCheckJob } from '@app/consent';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { createClient, loginAdmin, setupPartner, sql, type AdminSession } from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import {
  loopbackDeliveryEnv,
  startHttpsReceiver,
  waitFor,
  type HttpsReceiver,
} from './support/https-receiver';
import { subscribePartner, type SubscribedPartner } from './support/subscription-fixtures';
import { setupSourcePartner, type SourcePartner } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(1164);

const DAY_MS = 24 * 60 * 60 * 1000;
const REASON = { reason: 'TICKET-1164' };

type Json = Record<string, unknown>;

describe('member rights requests: access export, amendment, deletion, legal holds, due dates', () => {
  const clock = new ManualClock(Date.now());
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let officer: AdminSession;
  let operator: AdminSession;
  let source: SourcePartner;
  let subscriber: SubscribedPartner;
  /** A partner of the same organization that reads members but has no subscription. */
  let reader: { partnerId: string; token: string };

  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    api = await startTestApi({
      clock,
      env: {
        ...loopbackDeliveryEnv('0,1,1'),
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    source = await setupSourcePartner(api, clock, ['sync:write', 'members:read', 'members:write']);
    officer = source.officer;
    operator = await loginAdmin(api, clock, 'operator');
    subscriber = await subscribePartner(api, {
      officerToken: officer.accessToken,
      securityToken: source.security.accessToken,
      sourceOrganizationId: source.source.organizationId,
      receiverPort: receiver.port,
      categories: ['identity', 'contact'],
      scopes: ['subscriptions:manage', 'members:read'],
      events: ['member.updated', 'member.deleted'],
    });
    const other = await setupPartner(api, officer.accessToken, {
      type: 'benefits_admin',
      categories: ['identity', 'contact'],
    });
    await sql(api, 'update partner set organization_ids = organization_ids || $1::text where id = $2', [
      source.source.organizationId,
      other.partnerId,
    ]);
    const client = await createClient(api, source.security.accessToken, other.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    reader = { partnerId: other.partnerId, token: await clientToken(api, client) };
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
  });

  const post = (token: string, path: string, body: object) =>
    api.http().post(`/api/v1/admin${path}`).set('authorization', `Bearer ${token}`).send(body);
  const get = (token: string, path: string) =>
    api.http().get(`/api/v1/admin${path}`).set('authorization', `Bearer ${token}`);
  const readMember = (token: string, id: string) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);

  async function renewTokens(): Promise<void> {
    officer = await loginAdmin(api, clock, 'compliance_officer');
    source.token = await clientToken(api, source.client);
  }

  /** Every export token the suite was given, for the at-rest canary. */
  const issuedTokens: string[] = [];

  let minute = 0;
  /** A member created by the source, in the source's organization. */
  async function newMember(): Promise<{ id: string; body: ReturnType<typeof syntheticMember> }> {
    minute += 1;
    const body = syntheticMember(source.source.organizationId, {
      sourceRef: `src-${faker.string.alphanumeric(16)}`,
      occurredAt: new Date(clock.nowMs() - 3_600_000 + minute * 1000).toISOString(),
    });
    return { id: await createMember(api, source.token, body), body };
  }

  async function request(memberId: string, kind: string, details?: object): Promise<string> {
    const res = await post(officer.accessToken, '/rights-requests', {
      memberId,
      kind,
      receivedAt: clock.now().toISOString(),
      ...(details ? { details } : {}),
    });
    if (res.status !== 201) throw new Error(`rights request: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  async function inReview(memberId: string, kind: string, details?: object): Promise<string> {
    const id = await request(memberId, kind, details);
    const res = await post(officer.accessToken, `/rights-requests/${id}/review`, REASON);
    expect(res.status).toBe(200);
    return id;
  }

  it('records a request with its due date (access 30 days, amendment 60, deletion 30) and answers GET', async () => {
    const { id: memberId } = await newMember();
    const receivedAt = new Date(clock.nowMs() - 2 * DAY_MS);
    const expected: Record<string, number> = { access: 30, amendment: 60, deletion: 30 };
    for (const kind of ['access', 'amendment', 'deletion']) {
      const res = await post(officer.accessToken, '/rights-requests', {
        memberId,
        kind,
        receivedAt: receivedAt.toISOString(),
        ...(kind === 'amendment' ? { details: { changes: { preferences: { language: 'es' } } } } : {}),
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['dueAt', 'id', 'status']);
      expect(res.body.status).toBe('received');
      expect(new Date(res.body.dueAt).getTime() - receivedAt.getTime()).toBe(expected[kind] * DAY_MS);
      const got = await get(officer.accessToken, `/rights-requests/${res.body.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        id: res.body.id,
        kind,
        status: 'received',
        dueAt: res.body.dueAt,
        memberId,
      });
    }
    const listed = await get(officer.accessToken, '/rights-requests?kind=amendment&limit=1');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({
      kind: 'amendment',
      proposedFields: ['preferences.language'],
    });
  });

  it('refuses an operator (403), an unknown member (404), a future receivedAt and details on the wrong kind (400)', async () => {
    const { id: memberId } = await newMember();
    const body = { memberId, kind: 'access', receivedAt: clock.now().toISOString() };
    expect((await post(operator.accessToken, '/rights-requests', body)).status).toBe(403);
    // A partner token on an admin route is refused like any non-admin.
    expect((await post(subscriber.token, '/rights-requests', body)).status).toBe(403);
    expect((await get(operator.accessToken, '/rights-requests')).status).toBe(403);
    expect((await post(operator.accessToken, '/legal-holds', { memberId, ...REASON })).status).toBe(403);
    const unknown = await post(officer.accessToken, '/rights-requests', {
      ...body,
      memberId: 'mbr_00000000000000000000000000',
    });
    expect(unknown.status).toBe(404);
    const future = await post(officer.accessToken, '/rights-requests', {
      ...body,
      receivedAt: new Date(clock.nowMs() + DAY_MS).toISOString(),
    });
    expect(future.status).toBe(400);
    const details = await post(officer.accessToken, '/rights-requests', { ...body, details: { note: 'x' } });
    expect(details.status).toBe(400);
    const badChange = await post(officer.accessToken, '/rights-requests', {
      ...body,
      kind: 'amendment',
      details: { changes: { contact: { phone: 'not a phone' } } },
    });
    expect(badChange.status).toBe(400);
    expect(badChange.text).not.toContain('not a phone');
  });

  it('applies an accepted amendment (version + 1) and delivers it to a subscribed partner that had read the member', async () => {
    const { id: memberId } = await newMember();
    expect((await readMember(subscriber.token, memberId)).status).toBe(200);
    expect((await readMember(reader.token, memberId)).status).toBe(200);
    const before = (await readMember(source.token, memberId)).body as Json;
    const newPhone = `+1555${faker.string.numeric(7)}`;
    const id = await inReview(memberId, 'amendment', { changes: { contact: { phone: newPhone } } });

    const accepted = await post(officer.accessToken, `/rights-requests/${id}/accept`, REASON);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'applied', memberVersion: (before.version as number) + 1 });
    const after = (await readMember(source.token, memberId)).body as Json;
    expect(after.version).toBe((before.version as number) + 1);
    expect((after.contact as Json).phone).toBe(newPhone);

    const notified = accepted.body.notifiedPartners as Array<{ partnerId: string; outOfBand: boolean }>;
    expect(notified).toEqual(
      expect.arrayContaining([
        // Subscribed to member.updated: the amendment reaches it by push.
        expect.objectContaining({ partnerId: subscriber.partnerId, outOfBand: false }),
        // Read the member but holds no subscription: to be told out of band.
        expect.objectContaining({ partnerId: reader.partnerId, outOfBand: true }),
      ]),
    );
    const delivered = await waitFor(
      () =>
        receiver
          .received(subscriber.path)
          .map((r) => new Webhook(subscriber.secret).verify(r.body.toString('utf8'), r.headers) as Json)
          .filter((m) => m.memberId === memberId && m.type === 'member.updated'),
      (found) => found.length > 0,
    );
    expect(delivered).toHaveLength(1);
    expect(delivered[0].version).toBe(after.version);
    expect(((delivered[0].data as Json).contact as Json).phone).toBe(newPhone);
    const [row] = await sql<{ action: string; actor_id: string; reason: string }>(
      api,
      `select action, actor_id, reason from audit_event where action = 'rights_request.accept' and $1 = any(resource_ids)`,
      [id],
    );
    expect(row).toEqual({ action: 'rights_request.accept', actor_id: officer.id, reason: REASON.reason });
  });

  it('denies an amendment only with a written reason, and leaves the member unchanged', async () => {
    const { id: memberId } = await newMember();
    const before = (await readMember(source.token, memberId)).body as Json;
    const id = await inReview(memberId, 'amendment', { changes: { preferences: { language: 'fr' } } });
    expect((await post(officer.accessToken, `/rights-requests/${id}/deny`, {})).status).toBe(400);
    expect((await post(officer.accessToken, `/rights-requests/${id}/deny`, { reason: '' })).status).toBe(400);
    const denied = await post(officer.accessToken, `/rights-requests/${id}/deny`, {
      reason: 'The record is accurate and complete (§164.526(a)(2)(iv)).',
    });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({
      status: 'denied',
      decisionReason: expect.stringContaining('accurate'),
    });
    expect((await readMember(source.token, memberId)).body.version).toBe(before.version);
  });

  it('refuses illegal transitions with 409 rights-request-transition, and a second extension', async () => {
    const { id: memberId } = await newMember();
    const access = await request(memberId, 'access');
    const early = await post(officer.accessToken, `/rights-requests/${access}/export-link`, REASON);
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('https://member-sync.dev/problems/rights-request-transition');
    await post(officer.accessToken, `/rights-requests/${access}/review`, REASON);
    expect((await post(officer.accessToken, `/rights-requests/${access}/accept`, REASON)).status).toBe(409);
    expect((await post(officer.accessToken, `/rights-requests/${access}/complete`, REASON)).status).toBe(409);

    const due = (await get(officer.accessToken, `/rights-requests/${access}`)).body.dueAt as string;
    const extended = await post(officer.accessToken, `/rights-requests/${access}/extend`, REASON);
    expect(extended.status).toBe(200);
    expect(new Date(extended.body.dueAt).getTime() - new Date(due).getTime()).toBe(30 * DAY_MS);
    expect((await post(officer.accessToken, `/rights-requests/${access}/extend`, REASON)).status).toBe(409);

    const withdrawn = await post(officer.accessToken, `/rights-requests/${access}/withdraw`, REASON);
    expect(withdrawn.body.status).toBe('withdrawn');
    expect((await post(officer.accessToken, `/rights-requests/${access}/review`, REASON)).status).toBe(409);
    expect(
      (await post(officer.accessToken, `/rights-requests/rrq_00000000000000000000000000/review`, REASON))
        .status,
    ).toBe(404);
  });

  it('completes a deletion: the member answers 404 to partners and member.deleted is delivered', async () => {
    const { id: memberId } = await newMember();
    expect((await readMember(subscriber.token, memberId)).status).toBe(200);
    const id = await inReview(memberId, 'deletion');
    const completed = await post(officer.accessToken, `/rights-requests/${id}/complete`, REASON);
    expect(completed.status).toBe(200);
    expect(completed.body.status).toBe('completed');
    expect((await readMember(subscriber.token, memberId)).status).toBe(404);
    expect((await readMember(source.token, memberId)).status).toBe(404);
    const delivered = await waitFor(
      () =>
        receiver
          .received(subscriber.path)
          .map((r) => new Webhook(subscriber.secret).verify(r.body.toString('utf8'), r.headers) as Json)
          .filter((m) => m.memberId === memberId && m.type === 'member.deleted'),
      (found) => found.length > 0,
    );
    expect(delivered).toHaveLength(1);
    const [member] = await sql<{ status: string }>(api, 'select status from member where id = $1', [
      memberId,
    ]);
    expect(member.status).toBe('deleted');
  });

  it('refuses a deletion under a legal hold (409 legal-hold, request refused, member still readable), also on the partner route', async () => {
    const { id: memberId } = await newMember();
    const hold = await post(officer.accessToken, '/legal-holds', {
      memberId,
      reason: 'MATTER-77 litigation hold',
    });
    expect(hold.status).toBe(201);
    const id = await inReview(memberId, 'deletion');
    const refused = await post(officer.accessToken, `/rights-requests/${id}/complete`, REASON);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('https://member-sync.dev/problems/legal-hold');
    expect(refused.body.holdIds).toEqual([hold.body.id]);
    const state = await get(officer.accessToken, `/rights-requests/${id}`);
    expect(state.body).toMatchObject({
      status: 'refused',
      decisionReason: expect.stringContaining(hold.body.id),
    });
    expect((await readMember(subscriber.token, memberId)).status).toBe(200);

    const partnerDelete = await api
      .http()
      .delete(`/api/v1/members/${memberId}`)
      .set('authorization', `Bearer ${source.token}`);
    expect(partnerDelete.status).toBe(409);
    expect((await readMember(source.token, memberId)).status).toBe(200);

    const released = await post(officer.accessToken, `/legal-holds/${hold.body.id}/release`, REASON);
    expect(released.status).toBe(200);
    expect(released.body.active).toBe(false);
    const next = await inReview(memberId, 'deletion');
    expect((await post(officer.accessToken, `/rights-requests/${next}/complete`, REASON)).status).toBe(200);
    expect((await readMember(subscriber.token, memberId)).status).toBe(404);
  });

  it('serves the access export once per link, as JSON and as a FHIR R4 Bundle, then refuses reuse and expiry', async () => {
    const { id: memberId, body } = await newMember();
    expect((await readMember(subscriber.token, memberId)).status).toBe(200);
    const id = await inReview(memberId, 'access');
    const link = await post(officer.accessToken, `/rights-requests/${id}/export-link`, REASON);
    expect(link.status).toBe(201);
    expect(link.body.status).toBe('fulfilled');
    const path = new URL(link.body.exportUrl as string).pathname;
    issuedTokens.push(path.split('/').pop()!);
    expect(path).toMatch(/^\/api\/v1\/rights-exports\/[A-Za-z0-9_-]{43}$/);
    expect(path).not.toContain(memberId);

    const json = await api.http().get(`${path}?format=json`).buffer(true);
    expect(json.status).toBe(200);
    expect(json.headers['content-disposition']).toMatch(/^attachment; filename="member-record-rrq_/);
    expect(json.headers['cache-control']).toBe('no-store');
    const exported = JSON.parse(json.text) as Json;
    const member = exported.member as Json;
    expect((member.identity as Json).familyName).toBe(body.identity.familyName);
    expect((member.governmentId as Json).ssn).toBe(body.governmentId.ssn);
    expect(exported.disclosures).toEqual(
      expect.arrayContaining([expect.objectContaining({ partnerId: subscriber.partnerId })]),
    );
    const again = await api.http().get(`${path}?format=fhir`);
    expect(again.status).toBe(410);
    expect(again.body.type).toBe('https://member-sync.dev/problems/export-link-gone');
    const [audited] = await sql<{ action: string; reason: string; resource_ids: string[] }>(
      api,
      `select action, reason, resource_ids from audit_event where action = 'member.read' and reason = $1`,
      [`rights_request:${id}`],
    );
    expect(audited.resource_ids).toEqual([memberId, id]);

    const second = await post(officer.accessToken, `/rights-requests/${id}/export-link`, REASON);
    const fhirPath = new URL(second.body.exportUrl as string).pathname;
    const fhir = await api.http().get(`${fhirPath}?format=fhir`).buffer(true);
    expect(fhir.status).toBe(200);
    expect(fhir.headers['content-type']).toContain('application/fhir+json');
    const bundle = JSON.parse(fhir.text) as { resourceType: string; type: string; entry: Json[] };
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const resources = bundle.entry.map((e) => e.resource as Json);
    expect(resources.map((r) => r.resourceType)).toEqual(['Patient', 'Coverage']);
    expect(resources[0].birthDate).toBe(body.identity.dateOfBirth);
    expect((resources[1].beneficiary as Json).reference).toBe(bundle.entry[0].fullUrl);
    expect((await api.http().get(`${fhirPath}?format=json`)).status).toBe(410);

    const third = await post(officer.accessToken, `/rights-requests/${id}/export-link`, REASON);
    clock.advance(16 * 60 * 1000);
    const late = await api.http().get(new URL(third.body.exportUrl as string).pathname);
    expect(late.status).toBe(410);
    expect((await api.http().get(`/api/v1/rights-exports/${'A'.repeat(43)}`)).status).toBe(404);
    // Tokens last 15 minutes on this clock: the rest of the suite gets new ones.
    await renewTokens();
  });

  it('raises rights_request_overdue once per request after its due date passes and the check runs', async () => {
    const { id: memberId } = await newMember();
    const access = await request(memberId, 'access');
    const amendment = await request(memberId, 'amendment', { changes: { preferences: { language: 'de' } } });
    const job = worker.get(RightsOverdueCheckJob, { strict: false });
    const alerts = () =>
      sql<{ subject: string }>(api, `select subject from alert where type = 'rights_request_overdue'`);
    await job.run({ reason: 'on_demand' });
    expect((await alerts()).map((a) => a.subject)).not.toContain(`rights_request:${access}`);

    clock.advance(31 * DAY_MS);
    await renewTokens();
    await job.run({ reason: 'on_demand' });
    await job.run({ reason: 'on_demand' });
    const subjects = (await alerts()).map((a) => a.subject);
    expect(subjects.filter((s) => s === `rights_request:${access}`)).toHaveLength(1);
    expect(subjects).not.toContain(`rights_request:${amendment}`);

    const overdue = await get(officer.accessToken, '/rights-requests?overdue=true&limit=200');
    expect(overdue.status).toBe(200);
    const ids = (overdue.body.data as Json[]).map((r) => r.id);
    expect(ids).toContain(access);
    expect(ids).not.toContain(amendment);
  });

  it('declares admin:rights scopes on every admin route and marks only the download public in OpenAPI', async () => {
    const doc = (await api.http().get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, Json>>;
    };
    const ours = Object.entries(doc.paths).filter(([path]) =>
      /rights-requests|legal-holds|rights-exports/.test(path),
    );
    const declared = ours.flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({
        route: `${method} ${path}`,
        scopes: op['x-required-scopes'] ?? (op['x-public'] === true ? 'public' : 'none'),
      })),
    );
    expect(declared.length).toBeGreaterThanOrEqual(16);
    for (const { route, scopes } of declared) {
      if (route.includes('rights-exports')) expect(scopes).toBe('public');
      else if (route.startsWith('get')) expect(scopes).toEqual(['admin:rights:read']);
      else expect(scopes).toEqual(['admin:rights:write']);
    }
  });

  it('keeps no member value in the rights tables (email and SSN canaries)', async () => {
    const { id: memberId, body } = await newMember();
    await request(memberId, 'amendment', {
      changes: { contact: { email: body.contact.email }, governmentId: { ssn: body.governmentId.ssn } },
    });
    const rows = await sql(api, 'select * from rights_request');
    const dump = JSON.stringify(rows);
    // Positive control: the dump does hold this member's request.
    expect(dump).toContain(memberId);
    expect(dump).not.toContain(body.contact.email);
    expect(dump).not.toContain(body.governmentId.ssn);
    expect(dump).not.toContain(body.identity.familyName);
    const links = JSON.stringify(
      await sql(api, `select *, encode(token_sha256, 'hex') as token_hex from rights_export_link`),
    );
    expect(issuedTokens.length).toBeGreaterThan(0);
    for (const token of issuedTokens) {
      // Positive control: the link is there, by its hash; the token itself is not.
      expect(links).toContain(createHash('sha256').update(token).digest('hex'));
      expect(links).not.toContain(token);
    }
  });
});
