import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import { SyntheticMemberGenerator } from '@app/members';
import { createClient, loginAdmin, setupPartner, sql, type PartnerSetup } from './support/identity-fixtures';
import { clientToken, createMember, postSigned, syntheticMember } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(10433);

const PROBLEM = 'https://member-sync.dev/problems/';
const ONE_MB = 1024 * 1024;

/**
 * The batch route's own body limit (SYNC_BATCH_BODY_LIMIT_BYTES): a legal full batch, larger than
 * the global 1 MB, is accepted; a body over the batch limit is refused with 413 problem+json, and
 * every other route keeps the global limit.
 */
describe('sync batches: a body limit of their own', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let source: PartnerSetup;
  let token: string;

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    source = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, source.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    token = await clientToken(api, client);
  });
  afterAll(() => api.close());

  const expectProblem = (res: { status: number; headers: Record<string, string>; text: string }) => {
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ status: 413, type: `${PROBLEM}payload-too-large` });
  };

  it('accepts a full batch of 1,000 complete members (over 1 MB) and applies every item', async () => {
    const generator = new SyntheticMemberGenerator(faker.number.int({ max: 2 ** 31 - 1 }), {
      minDependents: 1,
    });
    const updates = [...generator.members(0, 1000)].map(({ sourceRef, occurredAt, ...changes }) => ({
      sourceRef: `${sourceRef}-${faker.string.alphanumeric(6)}`,
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt,
      changes,
    }));
    const text = JSON.stringify({ updates });
    // The control: this body is over the global limit, so only the route's own limit lets it in.
    expect(Buffer.byteLength(text)).toBeGreaterThan(ONE_MB);
    expect(Buffer.byteLength(text)).toBeGreaterThan(api.config.http.bodyLimitBytes);

    const res = await postSigned(api, token, '/api/v1/sync/batches', text);
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(1000);
    const results = res.body.results as Array<{ result: string; created?: boolean }>;
    expect(results.filter((r) => r.result === 'applied' && r.created === true)).toHaveLength(1000);
    const [{ n }] = await sql<{ n: string }>(
      api,
      'select count(*) as n from member where source_partner_id = $1',
      [source.partnerId],
    );
    expect(Number(n)).toBe(1000);
  }, 180_000);

  it('answers a body over the batch limit with 413 problem+json, without the bytes or a write', async () => {
    const canary = 'canary-batch-oversize-';
    const limit = api.config.http.syncBatchBodyLimitBytes;
    const item = {
      sourceRef: 'src-oversize-0001',
      eventId: 'evt-oversize-0001',
      occurredAt: new Date(clock.nowMs()).toISOString(),
      changes: { identity: { familyName: canary.repeat(Math.ceil((limit + ONE_MB) / canary.length)) } },
    };
    const text = JSON.stringify({ updates: [item] });
    expect(Buffer.byteLength(text)).toBeGreaterThan(limit);
    const before = await sql(api, 'select count(*) as n from member');

    const res = await postSigned(api, token, '/api/v1/sync/batches', text);
    expectProblem(res);
    expect(res.text).not.toContain(canary);
    expect(await sql(api, 'select count(*) as n from member')).toEqual(before);
  }, 60_000);

  it('keeps the global 1 MB limit on the single update route', async () => {
    const id = await createMember(api, token, syntheticMember(source.organizationId));
    const canary = 'canary-update-oversize-';
    const text = JSON.stringify({
      eventId: 'evt-oversize-update',
      occurredAt: new Date(clock.nowMs()).toISOString(),
      changes: { identity: { familyName: canary.repeat(Math.ceil((1.5 * ONE_MB) / canary.length)) } },
    });
    // Under the batch limit, over the global one: only the global limit can refuse it.
    expect(Buffer.byteLength(text)).toBeLessThan(api.config.http.syncBatchBodyLimitBytes);
    const res = await postSigned(api, token, `/api/v1/members/${id}/updates`, text);
    expectProblem(res);
    expect(res.text).not.toContain(canary);
  }, 60_000);
});
