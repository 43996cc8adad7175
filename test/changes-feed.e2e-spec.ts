import { randomUUID } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import { adminPost, createClient, loginAdmin, sql, type AdminSession } from './support/identity-fixtures';
import { clientToken, createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(20261204);

const PROBLEM = 'https://member-sync.dev/problems/';
/** Times at the sender: minute `n` of a fixed day, so the update is newer than the create. */
const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString();

interface Entry {
  type: string;
  memberId: string;
  version: number;
  occurredAt: string;
  categories: string[];
  data: Record<string, unknown> | null;
}
interface Page {
  data: Entry[];
  nextCursor: string;
  hasMore: boolean;
}

describe('partner change feed GET /api/v1/changes', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let orgA: string;
  let orgB: string;
  let sourceToken: string;
  let readerA: string;
  /** What the feed must give a partner of orgA, in order: member, version, type, live afterwards. */
  let live: string;
  let updated: string;
  let deleted: string;
  let inB: string;

  async function organization(): Promise<string> {
    const res = await adminPost(api, officer.accessToken, '/api/v1/admin/organizations', {
      name: faker.company.name(),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** A partner with its own vendor and BAA, and a token of its client with `scopes`. */
  async function partner(options: {
    type: 'carrier' | 'benefits_admin' | 'membership_system' | 'wellness_app';
    organizationIds: string[];
    categories: string[];
    scopes: string[];
    baa?: Record<string, unknown>;
  }): Promise<{ partnerId: string; token: string }> {
    const vendor = await adminPost(api, officer.accessToken, '/api/v1/admin/vendors', {
      name: faker.company.name(),
      role: 'partner',
      baa: {
        status: 'signed',
        signedAt: '2026-01-02',
        effectiveFrom: '2026-01-02',
        expiresAt: '2028-01-01',
        documentSha256: 'e'.repeat(64),
        permittedCategories: options.categories,
        ...options.baa,
      },
    });
    expect(vendor.status).toBe(201);
    const created = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
      name: faker.company.name(),
      vendorId: vendor.body.id,
      type: options.type,
      organizationIds: options.organizationIds,
      categories: options.categories,
      purpose: 'operations',
      requiresConsent: false,
    });
    expect(created.status).toBe(201);
    const client = await createClient(api, security.accessToken, created.body.id, {
      authMethod: 'client_secret_basic',
      scopes: options.scopes as never,
    });
    return { partnerId: created.body.id, token: await clientToken(api, client) };
  }

  const changes = (
    token: string,
    query: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => api.http().get('/api/v1/changes').query(query).set('authorization', `Bearer ${token}`).set(headers);

  /**
   * Every page from the start (or `cursor`) until the feed says it is caught up and holds `want`
   * entries: a transaction still running on the server (a background job's) may hold the horizon
   * back for a moment, which is the feed being careful, not empty.
   */
  async function drain(token: string, want: number, limit = 2): Promise<{ entries: Entry[]; pages: Page[] }> {
    const entries: Entry[] = [];
    const pages: Page[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 200; i++) {
      const res = await changes(token, { limit, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      const page = res.body as Page;
      expect(page.data.length).toBeLessThanOrEqual(limit);
      pages.push(page);
      entries.push(...page.data);
      cursor = page.nextCursor;
      if (!page.hasMore) {
        if (entries.length >= want) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return { entries, pages };
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
    orgA = await organization();
    orgB = await organization();
    sourceToken = (
      await partner({
        type: 'membership_system',
        organizationIds: [orgA, orgB],
        categories: [...DATA_CATEGORIES],
        scopes: ['sync:write', 'members:read', 'members:write'],
      })
    ).token;
    readerA = (
      await partner({
        type: 'benefits_admin',
        organizationIds: [orgA],
        categories: ['identity', 'contact', 'coverage', 'membership'],
        scopes: ['members:read'],
      })
    ).token;

    const create = (organizationId: string) =>
      createMember(api, sourceToken, syntheticMember(organizationId, { occurredAt: at(0) }));
    live = await create(orgA);
    inB = await create(orgB);
    updated = await create(orgA);
    deleted = await create(orgA);
    const update = await postSigned(api, sourceToken, `/api/v1/members/${updated}/updates`, {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: at(5),
      changes: { contact: { phone: `+1555${faker.string.numeric(7)}` } },
    });
    expect(update.body).toEqual({ result: 'applied', id: updated, version: 2 });
    const del = await api
      .http()
      .delete(`/api/v1/members/${deleted}`)
      .set('authorization', `Bearer ${sourceToken}`);
    expect(del.status).toBe(204);
  });
  afterAll(() => api.close());

  it('serves a partner every change of its organizations once, in commit order, across pages, shaped like deliveries', async () => {
    const { entries, pages } = await drain(readerA, 5);
    // Requests one after another commit in sequence order: the feed's order must be this one.
    const log = await sql<{ member_id: string; version: number }>(
      api,
      'select member_id, version::int from member_change where organization_id = $1 order by seq',
      [orgA],
    );
    expect(entries.map((e) => [e.memberId, e.version])).toEqual(log.map((c) => [c.member_id, c.version]));
    expect(entries.map((e) => [e.memberId, e.version, e.type])).toEqual([
      [live, 1, 'member.created'],
      [updated, 1, 'member.created'],
      [deleted, 1, 'member.deleted'],
      [updated, 2, 'member.updated'],
      [deleted, 2, 'member.deleted'],
    ]);
    // hasMore says whether more changes are visible now: a change committed after a transaction
    // still running anywhere in the cluster waits for it (pg_snapshot_xmin), so under load a page
    // short of its limit can say false and the next poll still bring more. A page saying true is full.
    expect(pages.filter((p) => p.hasMore).map((p) => p.data.length)).toEqual(
      pages.filter((p) => p.hasMore).map(() => 2),
    );
    expect(pages[pages.length - 1].hasMore).toBe(false);

    // data is the member as GET /members/{id} shows it to this partner today (both entries of `updated`).
    const current = await read(readerA, updated);
    expect(current.status).toBe(200);
    const ofUpdated = entries.filter((e) => e.memberId === updated);
    expect(ofUpdated.map((e) => e.data)).toEqual([current.body, current.body]);
    expect(ofUpdated[1]).toEqual({
      type: 'member.updated',
      memberId: updated,
      version: 2,
      occurredAt: at(5),
      categories: ['contact'],
      data: current.body,
    });
    // A deleted member: data null on every entry, no category named.
    for (const entry of entries.filter((e) => e.memberId === deleted))
      expect(entry).toMatchObject({ type: 'member.deleted', data: null, categories: [] });

    // Caught up: the last cursor gives nothing more, and nothing again.
    const last = pages[pages.length - 1];
    const again = await changes(readerA, { cursor: last.nextCursor });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ data: [], nextCursor: expect.any(String), hasMore: false });
  });

  it("shows a partner of another organization none of them, only its own organization's", async () => {
    const readerB = await partner({
      type: 'benefits_admin',
      organizationIds: [orgB],
      categories: ['identity', 'contact'],
      scopes: ['members:read'],
    });
    const { entries } = await drain(readerB.token, 1, 50);
    expect(entries.map((e) => [e.memberId, e.version])).toEqual([[inB, 1]]);
    const text = JSON.stringify(entries);
    for (const id of [live, updated, deleted]) expect(text).not.toContain(id);
  });

  it('projects like a member read: an eligibility-scoped carrier sees identity, membership and coverage only', async () => {
    const carrier = await partner({
      type: 'carrier',
      organizationIds: [orgA],
      categories: ['identity', 'membership', 'coverage', 'contact'],
      scopes: ['members.eligibility:read'],
    });
    const { entries } = await drain(carrier.token, 5);
    expect(entries).toHaveLength(5);
    const livesData = entries.filter((e) => e.data !== null).map((e) => e.data!);
    expect(livesData).toHaveLength(3);
    for (const data of livesData) {
      expect(Object.keys(data).sort()).toEqual([
        'coverage',
        'id',
        'identity',
        'membership',
        'organizationId',
        'status',
        'updatedAt',
        'version',
      ]);
    }
    // The carrier may not see contact: the contact update names no category it could not see.
    const contactChange = entries.find((e) => e.memberId === updated && e.version === 2)!;
    expect(contactChange.categories).toEqual([]);
    const created = entries.find((e) => e.memberId === live)!;
    expect(created.categories).toEqual(['identity', 'membership', 'coverage']);
    expect((await read(carrier.token, live)).body).toEqual(created.data);
  });

  it('refuses a token without a member read scope with 403', async () => {
    const subscriber = await partner({
      type: 'benefits_admin',
      organizationIds: [orgA],
      categories: ['identity'],
      scopes: ['subscriptions:manage'],
    });
    const res = await changes(subscriber.token);
    expect(res.status).toBe(403);
    expect(res.body.type).toBe(`${PROBLEM}forbidden`);
    expect(res.text).not.toContain(live);
  });

  it('refuses a partner whose BAA has lapsed with baa-required, as member reads do, and audits it', async () => {
    const lapsed = await partner({
      type: 'benefits_admin',
      organizationIds: [orgA],
      categories: ['identity'],
      scopes: ['members:read'],
      baa: { expiresAt: '2026-06-01' },
    });
    const requestId = randomUUID();
    const res = await changes(lapsed.token, {}, { 'x-request-id': requestId });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe(`${PROBLEM}baa-required`);
    expect(res.text).not.toContain(live);
    expect(await sql(api, 'select reason from audit_event where request_id = $1', [requestId])).toEqual([
      { reason: 'baa_not_in_effect' },
    ]);
    expect((await read(lapsed.token, live)).body.type).toBe(`${PROBLEM}baa-required`);
  });

  it("answers a limit over 200, a tampered cursor, another partner's cursor and a member-list cursor with 400", async () => {
    const tooMany = await changes(readerA, { limit: 201 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(tooMany.body.type).toBe(`${PROBLEM}validation-failed`);
    expect((await changes(readerA, { limit: 200 })).status).toBe(200);

    const first = await changes(readerA, { limit: 1 });
    expect(first.status).toBe(200);
    const cursor = first.body.nextCursor as string;
    const tampered = await changes(readerA, { cursor: `${cursor.slice(0, -3)}abc` });
    expect(tampered.status).toBe(400);
    expect(tampered.body.type).toBe(`${PROBLEM}bad-request`);
    expect((await changes(readerA, { cursor: 'not-a-cursor' })).status).toBe(400);
    // Bound to its partner: the source, which sees orgA too, cannot resume the reader's cursor.
    expect((await changes(sourceToken, { cursor })).status).toBe(400);
    // A member-list cursor is signed with the same secret but is not a feed position.
    const list = await api
      .http()
      .get('/api/v1/members')
      .query({ limit: 1 })
      .set('authorization', `Bearer ${readerA}`);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    expect((await changes(readerA, { cursor: list.body.nextCursor })).status).toBe(400);
  });

  it('documents the route in the OpenAPI document with the member read scopes, paging and its entry schema', async () => {
    const doc = (await api.http().get('/api/openapi.json')).body;
    const op = doc.paths['/api/v1/changes']?.get;
    expect(op).toBeDefined();
    expect(op['x-required-scopes']).toEqual(['members:read', 'members.eligibility:read']);
    expect(op.security).toEqual([{ partnerToken: ['members:read', 'members.eligibility:read'] }]);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit']);
    const limit = op.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ maximum: 200 });
    const page = op.responses['200'].content['application/json'].schema;
    expect(page.required).toEqual(['data', 'nextCursor', 'hasMore']);
    expect(page.properties.data.items.properties.type.enum).toEqual([
      'member.created',
      'member.updated',
      'member.deleted',
    ]);
    expect(page.properties.data.items.properties.data.nullable).toBe(true);
  });

  it('audits each page once as member.list on this route, naming the members whose data it returned', async () => {
    const requestId = randomUUID();
    const res = await changes(readerA, { limit: 200 }, { 'x-request-id': requestId });
    expect(res.status).toBe(200);
    const returned = [...new Set((res.body as Page).data.filter((e) => e.data).map((e) => e.memberId))];
    expect(returned.sort()).toEqual([live, updated].sort());
    const events = await sql<{ action: string; route: string; resource_ids: string[]; outcome: string }>(
      api,
      'select action, route, resource_ids, outcome from audit_event where request_id = $1',
      [requestId],
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'member.list', route: '/api/v1/changes', outcome: 'success' });
    expect([...events[0].resource_ids].sort()).toEqual(returned.sort());
  });
});
