import { createHash } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import { Webhook } from 'standardwebhooks';
import { JOBS, JobQueues, ManualClock, type DataCategory } from '@app/common';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { ParkedDeliveriesListener } from '../libs/sync/src/deliveries/parked-deliveries.listener';
import { ParkedDeliveryStore } from '../libs/sync/src/deliveries/parked-delivery.store';
import { ResumeParkedJob } from '../libs/sync/src/deliveries/resume-parked.job';
import { adminPost, sql, type AdminSession, type PartnerSetup } from './support/identity-fixtures';
import { createMember, postSigned, syntheticMember } from './support/member-fixtures';
import {
  loopbackDeliveryEnv,
  startHttpsReceiver,
  waitFor,
  type HttpsReceiver,
  type ReceivedRequest,
  type Responder,
} from './support/https-receiver';
import { subscribePartner, type SubscribedPartner } from './support/subscription-fixtures';
import { setupSourcePartner } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(7117);

/** Four attempts, a second apart (DELIVERY_RETRY_SCHEDULE_SECONDS). */
const SCHEDULE = '0,1,1,1';
/** Past the vendor and partner caches of both processes (they run on the suite's manual clock). */
const PAST_CACHES_MS = 31_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = () => createHash('sha256').update(faker.lorem.paragraph()).digest('hex');

type ParkedRow = {
  member_id: string;
  reason: string;
  topic: string;
  resumed: number;
};

describe('deliveries parking: refused while a BAA is not in effect, parked not dropped, resumed after renewal', () => {
  const clock = new ManualClock(Date.now());
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let officer: AdminSession;
  let security: AdminSession;
  let source: PartnerSetup;
  let syncToken: string;
  let minute = 0;

  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    api = await startTestApi({
      clock,
      env: {
        ...loopbackDeliveryEnv(SCHEDULE),
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        AUTH_FAILURE_ALERT_THRESHOLD: '1000',
      },
    });
    worker = await createWorkerApplication(api.config, { clock });
    ({
      officer,
      security,
      source,
      token: syncToken,
    } = await setupSourcePartner(api, clock, ['sync:write', 'members:read', 'members:write']));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
  });

  const today = () => clock.now().toISOString().slice(0, 10);
  const at = (m: number) => new Date(Date.UTC(2026, 10, 1, 0, m)).toISOString();

  async function subscriber(
    options: { categories?: DataCategory[]; events?: string[]; respond?: Responder } = {},
  ): Promise<SubscribedPartner> {
    const sub = await subscribePartner(api, {
      officerToken: officer.accessToken,
      securityToken: security.accessToken,
      sourceOrganizationId: source.organizationId,
      receiverPort: receiver.port,
      categories: options.categories ?? ['identity', 'membership', 'contact'],
      scopes: ['subscriptions:manage', 'members:read'],
      events: options.events ?? ['member.updated'],
    });
    if (options.respond) receiver.respond(sub.path, options.respond);
    return sub;
  }

  async function newMember(): Promise<string> {
    minute += 2;
    return createMember(
      api,
      syncToken,
      syntheticMember(source.organizationId, {
        sourceRef: `src-${faker.string.alphanumeric(16)}`,
        occurredAt: at(minute),
      }),
    );
  }

  /** The source changes the member's phone: one member.updated. */
  async function phoneChanged(id: string): Promise<void> {
    const res = await postSigned(api, syncToken, `/api/v1/members/${id}/updates`, {
      eventId: `evt-${faker.string.alphanumeric(16)}`,
      occurredAt: at(minute + 1),
      changes: { contact: { phone: `+1555${faker.string.numeric(7)}` } },
    });
    if (res.status !== 200) throw new Error(`update: ${res.status} ${res.text}`);
  }

  async function memberUpdated(): Promise<string> {
    const id = await newMember();
    await phoneChanged(id);
    return id;
  }

  /** The calendar moved past the BAA's last day: it expired yesterday (expiresAt is exclusive). */
  async function baaExpiredYesterday(vendorId: string): Promise<void> {
    await sql(api, 'update vendor set baa_expires_at = $1::date where id = $2', [today(), vendorId]);
    clock.advance(PAST_CACHES_MS);
  }

  function renewBaa(vendorId: string, categories: DataCategory[] = ['identity', 'membership', 'contact']) {
    return api
      .http()
      .put(`/api/v1/admin/vendors/${vendorId}/baa`)
      .set('authorization', `Bearer ${officer.accessToken}`)
      .send({
        status: 'signed',
        signedAt: today(),
        effectiveFrom: '2026-01-02',
        expiresAt: '2029-01-01',
        documentSha256: sha256(),
        permittedCategories: categories,
        reason: 'Renewal signed, ticket CMP-4471',
      });
  }

  /** A renewal whose listener call is lost (a crash right after the commit, say): only the sweep resumes. */
  async function renewBaaListenerLost(vendorId: string): Promise<void> {
    const lost = jest.spyOn(api.app.get(ParkedDeliveriesListener), 'baaChanged').mockResolvedValue(undefined);
    try {
      expect((await renewBaa(vendorId)).status).toBe(200);
      expect(lost).toHaveBeenCalledWith({ vendorId, inEffect: true });
    } finally {
      lost.mockRestore();
    }
    clock.advance(PAST_CACHES_MS);
  }

  const parkedOf = (subscriptionId: string) =>
    sql<ParkedRow>(
      api,
      `select member_id, reason, topic, resumed from parked_delivery
        where subscription_id = $1 order by outbox_id`,
      [subscriptionId],
    );

  const deadLettersOf = async (subscriptionId: string) =>
    (await api.app.get(JobQueues).queue('deliveries').getFailed()).filter((job) =>
      job.id?.includes(subscriptionId),
    );

  const bodies = (requests: ReceivedRequest[], secret: string) =>
    requests.map(
      (r) => new Webhook(secret).verify(r.body.toString('utf8'), r.headers) as Record<string, unknown>,
    );

  it('parks every change while the BAA has expired, audits and alerts, then delivers each exactly once after renewal', async () => {
    const sub = await subscriber();
    await baaExpiredYesterday(sub.vendorId);

    const ids = [await memberUpdated(), await memberUpdated(), await memberUpdated()];
    const parked = await waitFor(
      () => parkedOf(sub.subscriptionId),
      (rows) => rows.length === 3,
    );
    expect(parked.map((r) => [r.member_id, r.reason, r.topic])).toEqual(
      ids.map((id) => [id, 'baa_not_in_effect', 'member.changed']),
    );
    expect(receiver.received(sub.path)).toEqual([]);
    // Parked, not dead-lettered: nothing failed.
    expect(await deadLettersOf(sub.subscriptionId)).toEqual([]);

    const denied = await sql<{ reason: string }>(
      api,
      `select reason from audit_event
        where action = 'member.deliver' and outcome = 'denied' and partner_id = $1 order by seq`,
      [sub.partnerId],
    );
    expect(denied).toEqual(ids.map(() => ({ reason: 'baa_not_in_effect' })));
    const alerts = await api
      .http()
      .get('/api/v1/admin/alerts')
      .set('authorization', `Bearer ${officer.accessToken}`);
    expect(alerts.status).toBe(200);
    const parkedAlerts = (
      alerts.body.data as Array<{ type: string; subject: string; details: object }>
    ).filter((a) => a.type === 'deliveries_parked' && a.subject === `partner:${sub.partnerId}`);
    // Once per partner (deduplicated), naming ids and counts only.
    expect(parkedAlerts).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ vendorId: sub.vendorId, reason: 'baa_not_in_effect' }),
      }),
    ]);
    const status = await api
      .http()
      .get(`/api/v1/admin/webhook-subscriptions/${sub.subscriptionId}/status`)
      .set('authorization', `Bearer ${security.accessToken}`);
    expect(status.body).toMatchObject({ parkedDeliveries: 3, pendingDeliveries: 0, deadLetters: 0 });

    const renewed = await renewBaa(sub.vendorId);
    expect(renewed.status).toBe(200);
    // Resumed attempts start past the vendor caches (RESUME_DELAY_MS), which run on this clock.
    clock.advance(PAST_CACHES_MS);

    const received = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 3,
    );
    const delivered = bodies(received, sub.secret);
    expect(delivered.map((b) => b.memberId)).toEqual(expect.arrayContaining(ids));
    expect(delivered.map((b) => [b.type, b.version])).toEqual(ids.map(() => ['member.updated', 2]));
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(3);
    await sleep(1500);
    expect(receiver.received(sub.path)).toHaveLength(3);
    expect(await parkedOf(sub.subscriptionId)).toEqual([]);
    expect(await deadLettersOf(sub.subscriptionId)).toEqual([]);
  });

  it('resumes through the sweep when the renewal listener was never called', async () => {
    const sub = await subscriber();
    await baaExpiredYesterday(sub.vendorId);
    const id = await memberUpdated();
    await waitFor(
      () => parkedOf(sub.subscriptionId),
      (rows) => rows.length === 1,
    );

    await renewBaaListenerLost(sub.vendorId);
    await sleep(1000);
    expect(receiver.received(sub.path)).toEqual([]);

    // The worker declared the 5-minute sweep; its run resumes what the listener missed.
    const scheduler = await api.app
      .get(JobQueues)
      .queue(JOBS['deliveries.resume-parked'].queue)
      .getJobScheduler(JobQueues.scheduleId('deliveries.resume-parked'));
    expect(scheduler).toBeTruthy();
    const swept = await worker.get(ResumeParkedJob).run({ reason: 'sweep' });
    expect(swept.resumed).toBeGreaterThanOrEqual(1);

    const received = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    expect(bodies(received, sub.secret)).toEqual([
      expect.objectContaining({ type: 'member.updated', memberId: id, version: 2 }),
    ]);
    expect(await parkedOf(sub.subscriptionId)).toEqual([]);
  });

  it('leaves deliveries parked while the BAA is still not in effect', async () => {
    const sub = await subscriber();
    await baaExpiredYesterday(sub.vendorId);
    await memberUpdated();
    await waitFor(
      () => parkedOf(sub.subscriptionId),
      (rows) => rows.length === 1,
    );

    await worker.get(ResumeParkedJob).run({ vendorId: sub.vendorId, reason: 'baa_renewed' });
    await worker.get(ResumeParkedJob).run({ reason: 'sweep' });
    await sleep(500);
    expect(receiver.received(sub.path)).toEqual([]);
    expect(await parkedOf(sub.subscriptionId)).toEqual([expect.objectContaining({ resumed: 0 })]);
  });

  it('parks the deliveries of a suspended partner and resumes them once it is reinstated', async () => {
    const sub = await subscriber();
    const suspended = await adminPost(
      api,
      officer.accessToken,
      `/api/v1/admin/partners/${sub.partnerId}/suspend`,
      {
        reason: 'Investigating ticket SEC-118',
      },
    );
    expect(suspended.status).toBeLessThan(300);
    const id = await memberUpdated();
    const parked = await waitFor(
      () => parkedOf(sub.subscriptionId),
      (rows) => rows.length === 1,
    );
    expect(parked).toEqual([expect.objectContaining({ member_id: id, reason: 'partner_suspended' })]);
    // Its BAA is in effect: the vendor's resume does not release a suspended partner's deliveries.
    await worker.get(ResumeParkedJob).run({ vendorId: sub.vendorId, reason: 'baa_renewed' });
    await sleep(500);
    expect(receiver.received(sub.path)).toEqual([]);

    const reinstated = await adminPost(
      api,
      officer.accessToken,
      `/api/v1/admin/partners/${sub.partnerId}/reinstate`,
      { reason: 'Investigation closed, ticket SEC-118' },
    );
    expect(reinstated.status).toBeLessThan(300);
    clock.advance(PAST_CACHES_MS);
    await worker.get(ResumeParkedJob).run({ reason: 'sweep' });
    const received = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    expect(bodies(received, sub.secret)).toEqual([expect.objectContaining({ memberId: id, version: 2 })]);
    expect(await parkedOf(sub.subscriptionId)).toEqual([]);
  });

  it('delivers once when a resume crashed after queueing a delivery and before un-parking it', async () => {
    const sub = await subscriber();
    await baaExpiredYesterday(sub.vendorId);
    const id = await memberUpdated();
    await waitFor(
      () => parkedOf(sub.subscriptionId),
      (rows) => rows.length === 1,
    );
    await renewBaaListenerLost(sub.vendorId);

    const crash = jest
      .spyOn(worker.get(ParkedDeliveryStore), 'removeResumed')
      .mockRejectedValueOnce(new Error('worker crashed'));
    try {
      await expect(
        worker.get(ResumeParkedJob).run({ vendorId: sub.vendorId, reason: 'baa_renewed' }),
      ).rejects.toThrow('worker crashed');
    } finally {
      crash.mockRestore();
    }
    // Queued but still parked; the retried resume queues it again under the same job id.
    expect(await parkedOf(sub.subscriptionId)).toHaveLength(1);
    await worker.get(ResumeParkedJob).run({ vendorId: sub.vendorId, reason: 'baa_renewed' });
    expect(await parkedOf(sub.subscriptionId)).toEqual([]);

    const received = await waitFor(
      () => receiver.received(sub.path),
      (r) => r.length >= 1,
    );
    await sleep(1500);
    expect(receiver.received(sub.path)).toHaveLength(1);
    expect(bodies(received, sub.secret)).toEqual([expect.objectContaining({ memberId: id, version: 2 })]);
  });

  it('sends nothing of a member whose consent was revoked after the change was queued (not even a deletion), and notifies that partner only', async () => {
    // Its endpoint sends the first attempt back for 3 s; the consent is revoked in between.
    const consenting = await subscriber({
      events: ['member.updated', 'consent.revoked'],
      respond: (n) => (n === 1 ? { status: 503, headers: { 'retry-after': '3' } } : { status: 200 }),
    });
    await sql(api, 'update partner set requires_consent = true where id = $1', [consenting.partnerId]);
    const other = await subscriber({ events: ['member.updated', 'consent.revoked'] });
    const id = await newMember();
    const consent = await adminPost(api, officer.accessToken, '/api/v1/admin/consents', {
      memberId: id,
      partnerId: consenting.partnerId,
      purpose: 'operations',
      categories: ['contact'],
      validFrom: new Date(clock.nowMs() - 60_000).toISOString(),
      evidenceSha256: sha256(),
    });
    expect(consent.status).toBe(201);
    await phoneChanged(id);

    const [first] = await waitFor(
      () => receiver.received(consenting.path),
      (r) => r.length >= 1,
    );
    // Positive control: with the consent active, the attempt carried the consented group only.
    const attempted = JSON.parse(first.body.toString('utf8')) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(attempted.type).toBe('member.updated');
    expect(attempted.data.contact).toBeDefined();
    expect(attempted.data.identity).toBeUndefined();

    const revoked = await adminPost(
      api,
      officer.accessToken,
      `/api/v1/admin/consents/${consent.body.id}/revoke`,
      {
        reason: 'Member withdrew consent, ticket PRV-9',
      },
    );
    expect(revoked.status).toBe(200);

    const denied = await waitFor(
      () =>
        sql<{ reason: string }>(
          api,
          `select reason from audit_event
            where action = 'member.deliver' and outcome = 'denied' and partner_id = $1 and $2 = any(resource_ids)`,
          [consenting.partnerId, id],
        ),
      (rows) => rows.length > 0,
    );
    expect(denied).toEqual([{ reason: 'consent_not_active' }]);
    const received = await waitFor(
      () => receiver.received(consenting.path),
      (r) => r.length >= 2,
    );
    await sleep(1500);
    // The queued change never left again, and was not turned into a member.deleted.
    const types = receiver
      .received(consenting.path)
      .map((r) => (JSON.parse(r.body.toString('utf8')) as { type: string }).type);
    expect(types).toEqual(['member.updated', 'consent.revoked']);
    const notice = new Webhook(consenting.secret).verify(
      received[1].body.toString('utf8'),
      received[1].headers,
    );
    expect(notice).toEqual({
      type: 'consent.revoked',
      memberId: id,
      version: null,
      occurredAt: expect.any(String),
      data: { consentId: consent.body.id, purpose: 'operations', categories: ['contact'] },
    });
    // The other partner (no consent rule) gets the change, and never this partner's notice.
    const toOther = await waitFor(
      () => receiver.received(other.path),
      (r) => r.length >= 1,
    );
    expect(bodies(toOther, other.secret).map((b) => b.type)).toEqual(['member.updated']);
  });
});
