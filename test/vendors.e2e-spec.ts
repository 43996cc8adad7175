import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Webhook } from 'standardwebhooks';
import { AlertsService } from '@app/audit';
import { AppConfig, DATA_CATEGORIES, ManualClock } from '@app/common';
import { BaaChangeListeners, VendorsService, type BaaChange } from '@app/vendors';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
} from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { waitFor } from './support/https-receiver';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(20261201);

const VENDORS = '/api/v1/admin/vendors';
const DAY_MS = 86_400_000;

describe('vendors: BAA registry, lifecycle and history, expiry warnings, inventory, the subprocessor gate', () => {
  // The worker keeps real time (webhook receivers check signature timestamps against theirs), so the
  // suite starts the API's clock at the real now and only moves it forward.
  const clock = new ManualClock(new Date());
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const siemReceived: Array<{ headers: Record<string, string>; body: string }> = [];
  let siem: Server;
  let api: TestApi;
  let officer: AdminSession;
  let operator: AdminSession;

  const day = (offset: number) => new Date(clock.nowMs() + offset * DAY_MS).toISOString().slice(0, 10);
  const sha = () => createHash('sha256').update(faker.lorem.paragraph()).digest('hex');
  const signedBaa = (overrides: Record<string, unknown> = {}) => ({
    status: 'signed',
    signedAt: day(-30),
    effectiveFrom: day(-30),
    expiresAt: day(365),
    documentSha256: sha(),
    permittedCategories: ['identity', 'coverage'],
    ...overrides,
  });
  const as = (session: AdminSession) => ({ authorization: `Bearer ${session.accessToken}` });
  const put = (session: AdminSession, vendorId: string, body: object, headers: Record<string, string> = {}) =>
    api
      .http()
      .put(`${VENDORS}/${vendorId}/baa`)
      .set({ ...as(session), ...headers })
      .send(body);
  const getVendor = (session: AdminSession, vendorId: string) =>
    api.http().get(`${VENDORS}/${vendorId}`).set(as(session));
  async function createVendor(body: object): Promise<string> {
    const res = await adminPost(api, officer.accessToken, VENDORS, body);
    if (res.status !== 201) throw new Error(`vendor: ${res.status} ${res.text}`);
    return res.body.id as string;
  }
  /** Admin sessions end after 15 idle minutes of the app's clock: log in again after moving it. */
  async function moveDays(days: number) {
    clock.advance(days * DAY_MS);
    officer = await loginAdmin(api, clock, 'compliance_officer');
    operator = await loginAdmin(api, clock, 'operator');
  }

  beforeAll(async () => {
    siem = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        siemReceived.push({ headers: req.headers as Record<string, string>, body: data });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => siem.listen(0, '127.0.0.1', r));
    api = await startTestApi({
      clock,
      env: {
        SECURITY_WEBHOOK_URL: `http://127.0.0.1:${(siem.address() as { port: number }).port}/alerts`,
        SECURITY_WEBHOOK_SECRET: webhookSecret,
      },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    operator = await loginAdmin(api, clock, 'operator');
  });
  afterAll(async () => {
    await api.close();
    siem.close();
  });

  it('holds alerts back from a SIEM whose vendor has no BAA in effect, raises sink_without_baa, and delivers once the BAA is signed', async () => {
    const siemVendorId = await createVendor({
      name: faker.company.name(),
      role: 'subprocessor',
      service: 'siem',
      breachContact: { name: faker.person.fullName(), email: 'security@siem.example.test' },
      baa: { status: 'draft', permittedCategories: [] },
    });
    // The worker is the process that delivers alerts; its configuration names the SIEM's vendor.
    const workerConfig: AppConfig = Object.assign(
      Object.create(AppConfig.prototype) as AppConfig,
      api.config,
      {
        subprocessors: { siemVendorId },
      },
    );
    const worker: INestApplicationContext = await createWorkerApplication(workerConfig);
    try {
      const alertId = (await api.app
        .get(AlertsService)
        .raise('integrity_violation', 'critical', `test:${randomBytes(4).toString('hex')}`, {
          check: 'suite',
        }))!;
      const held = await waitFor(
        () =>
          sql<{ id: string }>(
            api,
            `select id from alert where type = 'sink_without_baa' and subject = 'sink:siem'`,
          ),
        (rows) => rows.length > 0,
      );
      expect(held).toHaveLength(1);
      expect(siemReceived.some((r) => r.body.includes(alertId))).toBe(false);

      const signed = await put(officer, siemVendorId, {
        ...signedBaa(),
        reason: 'SIEM BAA countersigned (ticket SEC-12)',
      });
      expect(signed.status).toBe(200);
      const delivered = await waitFor(
        () => siemReceived.find((r) => r.body.includes(alertId)),
        (found) => found !== undefined,
        45_000,
      );
      expect(delivered).toBeDefined();
      const verified = new Webhook(webhookSecret).verify(delivered!.body, {
        'webhook-id': delivered!.headers['webhook-id'],
        'webhook-timestamp': delivered!.headers['webhook-timestamp'],
        'webhook-signature': delivered!.headers['webhook-signature'],
      }) as { data: { id: string; type: string } };
      expect(verified.data).toMatchObject({ id: alertId, type: 'integrity_violation' });
    } finally {
      await worker.close();
    }
  }, 90_000);

  it('registers partner and subprocessor vendors with a breach contact, and refuses inconsistent registrations', async () => {
    const partnerVendor = await adminPost(api, officer.accessToken, VENDORS, {
      name: faker.company.name(),
      role: 'partner',
      breachContact: {
        name: faker.person.fullName(),
        email: 'privacy@carrier.example.test',
        phone: '+1 415 555 0100',
      },
      baa: signedBaa(),
    });
    expect(partnerVendor.status).toBe(201);
    const cloud = await adminPost(api, officer.accessToken, VENDORS, {
      name: faker.company.name(),
      role: 'subprocessor',
      service: 'cloud',
      baa: signedBaa({ permittedCategories: [...DATA_CATEGORIES] }),
    });
    expect(cloud.status).toBe(201);
    const got = await getVendor(officer, partnerVendor.body.id);
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.body).toMatchObject({
      id: partnerVendor.body.id,
      role: 'partner',
      service: null,
      breachContact: { email: 'privacy@carrier.example.test', phone: '+1 415 555 0100' },
      baa: { version: 1, status: 'signed', inEffect: true, permittedCategories: ['identity', 'coverage'] },
      baaHistory: [{ version: 1, change: 'register', changedBy: officer.id, reason: null }],
    });
    expect((await getVendor(officer, cloud.body.id)).body).toMatchObject({
      role: 'subprocessor',
      service: 'cloud',
    });

    const refused = await Promise.all([
      adminPost(api, officer.accessToken, VENDORS, { name: 'x', role: 'subprocessor', baa: signedBaa() }),
      adminPost(api, officer.accessToken, VENDORS, {
        name: 'x',
        role: 'partner',
        service: 'cloud',
        baa: signedBaa(),
      }),
      adminPost(api, officer.accessToken, VENDORS, {
        name: 'x',
        role: 'partner',
        baa: signedBaa({ documentSha256: undefined }),
      }),
      adminPost(api, officer.accessToken, VENDORS, {
        name: 'x',
        role: 'partner',
        breachContact: { name: 'x', email: 'not-an-email' },
        baa: signedBaa(),
      }),
    ]);
    expect(refused.map((r) => [r.status, r.body.type?.split('/').pop()])).toEqual([
      [400, 'validation-failed'],
      [422, 'unprocessable-entity'],
      [422, 'unprocessable-entity'],
      [400, 'validation-failed'],
    ]);
    expect((await api.http().get(`${VENDORS}/vnd_00000000000000000000000000`).set(as(officer))).status).toBe(
      404,
    );
    expect((await api.http().get(`${VENDORS}/not-a-vendor`).set(as(officer))).status).toBe(400);
  });

  it('lists vendors with cursor paging and a role filter', async () => {
    for (let i = 0; i < 3; i++) {
      await createVendor({
        name: faker.company.name(),
        role: 'subprocessor',
        service: 'analytics',
        baa: signedBaa(),
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: Array<{ id: string }>; nextCursor: string | null } } =
        await api
          .http()
          .get(VENDORS)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(as(officer));
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((v: { id: string }) => v.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    const [{ n }] = await sql<{ n: number }>(api, 'select count(*)::int as n from vendor');
    expect(seen).toHaveLength(n);
    expect(new Set(seen).size).toBe(n);

    const subprocessors = await api
      .http()
      .get(VENDORS)
      .query({ role: 'subprocessor', limit: 200 })
      .set(as(officer));
    expect(subprocessors.body.data.length).toBeGreaterThanOrEqual(4);
    expect(subprocessors.body.data.every((v: { role: string }) => v.role === 'subprocessor')).toBe(true);

    const first = await api.http().get(VENDORS).query({ role: 'subprocessor', limit: 1 }).set(as(officer));
    // A cursor belongs to its filter: reused under another role it is refused, as is a forged one.
    const otherFilter = await api
      .http()
      .get(VENDORS)
      .query({ role: 'partner', cursor: first.body.nextCursor })
      .set(as(officer));
    expect(otherFilter.status).toBe(400);
    expect((await api.http().get(VENDORS).query({ cursor: 'forged' }).set(as(officer))).status).toBe(400);
    expect((await api.http().get(VENDORS).query({ limit: 201 }).set(as(officer))).status).toBe(400);
  });

  it('keeps every BAA version with who and why, newest first, audits each change, and honours If-Match', async () => {
    const registered = signedBaa();
    const vendorId = await createVendor({ name: faker.company.name(), role: 'partner', baa: registered });
    const amend = await put(
      officer,
      vendorId,
      { ...registered, permittedCategories: ['identity'], reason: 'Amendment 1: coverage removed (CT-101)' },
      { 'if-match': '"1"' },
    );
    expect(amend.status).toBe(200);
    expect(amend.body).toEqual({ id: vendorId, version: 2 });
    const current = await getVendor(officer, vendorId);
    const renewedUntil = day(730);
    const renew = await put(officer, vendorId, {
      baa: {
        ...signedBaa(),
        expiresAt: renewedUntil,
        documentSha256: sha(),
        permittedCategories: ['identity'],
      },
      reason: 'Renewal for two years (CT-102)',
    });
    expect(renew.body).toEqual({ id: vendorId, version: 3 });
    // A change based on a version read before the renewal is refused.
    const stale = await put(
      officer,
      vendorId,
      { ...signedBaa(), reason: 'late edit' },
      { 'if-match': current.headers.etag },
    );
    expect(stale.status).toBe(412);

    const detail = await getVendor(officer, vendorId);
    expect(detail.headers.etag).toBe('"3"');
    expect(detail.body.baa).toMatchObject({
      version: 3,
      status: 'signed',
      expiresAt: renewedUntil,
      inEffect: true,
    });
    expect(
      detail.body.baaHistory.map(
        (h: { version: number; change: string; changedBy: string; reason: string | null }) => [
          h.version,
          h.change,
          h.changedBy,
          h.reason,
        ],
      ),
    ).toEqual([
      [3, 'renew', officer.id, 'Renewal for two years (CT-102)'],
      [2, 'amend', officer.id, 'Amendment 1: coverage removed (CT-101)'],
      [1, 'register', officer.id, null],
    ]);
    expect(detail.body.baaHistory[1]).toMatchObject({ permittedCategories: ['identity'], status: 'signed' });

    const audited = await sql<{ actor_id: string; reason: string; outcome: string; resource_ids: string[] }>(
      api,
      `select actor_id, reason, outcome, resource_ids from audit_event where action = 'vendor.baa_update' and $1 = any(resource_ids) order by seq`,
      [vendorId],
    );
    expect(audited).toEqual([
      {
        actor_id: officer.id,
        reason: 'Amendment 1: coverage removed (CT-101)',
        outcome: 'success',
        resource_ids: [vendorId],
      },
      {
        actor_id: officer.id,
        reason: 'Renewal for two years (CT-102)',
        outcome: 'success',
        resource_ids: [vendorId],
      },
    ]);
    // Both spellings of the terms at once are ambiguous: refused.
    const both = await put(officer, vendorId, { ...signedBaa(), baa: signedBaa(), reason: 'both' });
    expect(both.status).toBe(400);
  });

  it('terminates a BAA, then refuses any further change with 422 baa-terminated', async () => {
    const vendorId = await createVendor({ name: faker.company.name(), role: 'partner', baa: signedBaa() });
    const backToDraft = await put(officer, vendorId, {
      status: 'draft',
      permittedCategories: [],
      reason: 'oops',
    });
    expect([backToDraft.status, backToDraft.body.type]).toEqual([
      422,
      'https://member-sync.dev/problems/baa-transition-invalid',
    ]);
    const terminated = await put(officer, vendorId, {
      ...signedBaa(),
      status: 'terminated',
      reason: 'Contract ended by the vendor (CT-200)',
    });
    expect(terminated.status).toBe(200);
    const again = await put(officer, vendorId, { ...signedBaa(), reason: 'Try to revive it' });
    expect(again.status).toBe(422);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.body.type).toBe('https://member-sync.dev/problems/baa-terminated');
    const detail = await getVendor(officer, vendorId);
    expect(detail.body.baa).toMatchObject({ version: 2, status: 'terminated', inEffect: false });
  });

  it('lets an operator read vendors and the inventory but not register or change one (403)', async () => {
    const vendorId = await createVendor({ name: faker.company.name(), role: 'partner', baa: signedBaa() });
    expect((await api.http().get(VENDORS).set(as(operator))).status).toBe(200);
    expect((await getVendor(operator, vendorId)).status).toBe(200);
    expect((await api.http().get(`${VENDORS}/inventory`).set(as(operator))).status).toBe(200);
    const create = await adminPost(api, operator.accessToken, VENDORS, {
      name: faker.company.name(),
      role: 'partner',
      baa: signedBaa(),
    });
    const change = await put(operator, vendorId, {
      ...signedBaa(),
      status: 'terminated',
      reason: 'not mine to do',
    });
    expect([create.status, change.status]).toEqual([403, 403]);
    expect((await getVendor(officer, vendorId)).body.baa.version).toBe(1);
    const [denied] = await sql<{ n: number }>(
      api,
      `select count(*)::int as n from audit_event where actor_id = $1 and outcome = 'denied' and status_code = 403`,
      [operator.id],
    );
    expect(denied.n).toBe(2);
  });

  it('lists every vendor in the inventory, as JSON and as CSV with quoting and formulas neutralised', async () => {
    const hostileName = `=HYPERLINK("http://x.example.test","Click"), "Quoted"`;
    const hostileId = await createVendor({
      name: hostileName,
      role: 'subprocessor',
      service: 'error_tracking',
      breachContact: { name: '@ops desk', email: 'ops@errors.example.test', phone: '+44 20 7946 0000' },
      baa: signedBaa(),
    });
    const json = await api.http().get(`${VENDORS}/inventory`).query({ format: 'json' }).set(as(officer));
    expect(json.status).toBe(200);
    const [{ n }] = await sql<{ n: number }>(api, 'select count(*)::int as n from vendor');
    expect(json.body.data).toHaveLength(n);
    expect(json.body.data.find((v: { id: string }) => v.id === hostileId)).toMatchObject({
      name: hostileName,
      role: 'subprocessor',
      service: 'error_tracking',
      breachContact: { name: '@ops desk', email: 'ops@errors.example.test' },
      baa: { status: 'signed', inEffect: true },
    });
    expect(new Set(json.body.data.map((v: { role: string }) => v.role))).toEqual(
      new Set(['partner', 'subprocessor']),
    );
    expect(json.body.sinks.map((s: { sink: string }) => s.sink)).toEqual(['siem', 'log_sink', 'kms']);

    const csv = await api.http().get(`${VENDORS}/inventory`).query({ format: 'csv' }).set(as(officer));
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="vendor-inventory-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const lines = csv.text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(
      'id,name,role,service,baa_status,baa_in_effect,baa_version,signed_at,effective_from,expires_at,document_sha256,permitted_categories,breach_contact_name,breach_contact_email,breach_contact_phone',
    );
    expect(lines).toHaveLength(n + 1);
    const row = lines.find((l) => l.startsWith(hostileId))!;
    expect(row).toContain(
      `,"'=HYPERLINK(""http://x.example.test"",""Click""), ""Quoted""",subprocessor,error_tracking,`,
    );
    expect(row).toContain(`,'@ops desk,ops@errors.example.test,'+44 20 7946 0000`);
    expect(
      (await api.http().get(`${VENDORS}/inventory`).query({ format: 'xml' }).set(as(officer))).status,
    ).toBe(400);
  });

  it('refuses reads with 403 baa-required once the BAA expired yesterday (audited, alerted), and a renewal makes the next read succeed', async () => {
    const security = await loginAdmin(api, clock, 'security_admin');
    const setup = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const client = await createClient(api, security.accessToken, setup.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read'],
    });
    const expiresAt = day(3);
    const shortened = await put(officer, setup.vendorId, {
      ...signedBaa({ permittedCategories: [...DATA_CATEGORIES] }),
      expiresAt,
      reason: 'Term shortened to the notice period (CT-300)',
    });
    expect(shortened.status).toBe(200);
    let token = await clientToken(api, client);
    const memberId = await createMember(api, token, syntheticMember(setup.organizationId));
    expect(
      (await api.http().get(`/api/v1/members/${memberId}`).set('authorization', `Bearer ${token}`)).status,
    ).toBe(200);

    const heard: BaaChange[] = [];
    const listeners = api.app.get(BaaChangeListeners);
    listeners.register(() => Promise.reject(new Error('a listener that fails must not fail the change')));
    listeners.register((change) => Promise.resolve(void heard.push(change)));

    await moveDays(4); // expiresAt (the first uncovered day) was yesterday
    token = await clientToken(api, client);
    const refused = await api
      .http()
      .get(`/api/v1/members/${memberId}`)
      .set('authorization', `Bearer ${token}`);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('https://member-sync.dev/problems/baa-required');
    expect(JSON.stringify(refused.body)).not.toContain(memberId);
    const [denial] = await sql<{ partner_id: string; reason: string; outcome: string }>(
      api,
      `select partner_id, reason, outcome from audit_event where partner_id = $1 and outcome = 'denied' order by seq desc limit 1`,
      [setup.partnerId],
    );
    expect(denial).toEqual({ partner_id: setup.partnerId, reason: 'baa_not_in_effect', outcome: 'denied' });
    const alerts = await api.http().get('/api/v1/admin/alerts').set(as(officer));
    expect(alerts.body.data).toContainEqual(
      expect.objectContaining({ type: 'baa_refusal', subject: `partner:${setup.partnerId}` }),
    );
    // The registry shows it expired before the daily check has recorded it…
    expect((await getVendor(officer, setup.vendorId)).body.baa).toMatchObject({
      status: 'expired',
      inEffect: false,
    });
    // …and the check records it in the history, as the system.
    await api.app.get(VendorsService).runExpiryCheck();
    const lapsed = await getVendor(officer, setup.vendorId);
    expect(lapsed.body.baaHistory[0]).toMatchObject({
      change: 'expire',
      status: 'expired',
      changedBy: 'job:vendors.baa-expiry-check',
    });

    const renewal = await put(officer, setup.vendorId, {
      ...signedBaa({ permittedCategories: [...DATA_CATEGORIES] }),
      documentSha256: sha(),
      reason: 'Renewed BAA signed (CT-301)',
    });
    expect(renewal.status).toBe(200);
    expect(heard).toContainEqual({ vendorId: setup.vendorId, inEffect: true });
    const after = await api.http().get(`/api/v1/members/${memberId}`).set('authorization', `Bearer ${token}`);
    expect(after.status).toBe(200);
    expect(after.body.id).toBe(memberId);
    expect((await getVendor(officer, setup.vendorId)).body.baaHistory[0]).toMatchObject({
      change: 'renew',
      changedBy: officer.id,
    });
  });

  it('warns 30 and 7 days before a BAA expires, each once, and records nothing for BAAs far from expiry', async () => {
    const vendorId = await createVendor({
      name: faker.company.name(),
      role: 'subprocessor',
      service: 'logging',
      baa: signedBaa({ expiresAt: day(40) }),
    });
    const check = () => api.app.get(VendorsService).runExpiryCheck();
    const warningsOf = async () =>
      (
        await sql<{ subject: string; severity: string; details: { daysLeft: number } }>(
          api,
          `select subject, severity, details from alert where type = 'baa_expiring' and subject like $1 order by raised_at`,
          [`vendor:${vendorId}:%`],
        )
      ).map((a) => [a.subject, a.severity, a.details.daysLeft]);

    await check();
    expect(await warningsOf()).toEqual([]);
    await moveDays(10); // 30 days left
    await check();
    await check();
    expect(await warningsOf()).toEqual([[`vendor:${vendorId}:30d`, 'medium', 30]]);
    await moveDays(20); // 10 days left: already warned at 30
    await check();
    expect(await warningsOf()).toHaveLength(1);
    await moveDays(3); // 7 days left
    await check();
    await check();
    expect(await warningsOf()).toEqual([
      [`vendor:${vendorId}:30d`, 'medium', 30],
      [`vendor:${vendorId}:7d`, 'high', 7],
    ]);
    const alerts = await api.http().get('/api/v1/admin/alerts').set(as(officer));
    expect(
      alerts.body.data.filter(
        (a: { type: string; subject: string }) =>
          a.type === 'baa_expiring' && a.subject.startsWith(`vendor:${vendorId}`),
      ),
    ).toHaveLength(2);
  });
});
