import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { faker } from '@faker-js/faker';
import type { Job } from 'bullmq';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { JobQueues, ManualClock, type AdminRole } from '@app/common';
import { AdminUsersService, totpCode } from '@app/identity';
import { createWorkerApplication } from '../apps/worker/src/worker-app';
import { sql } from './support/identity-fixtures';
import {
  startHttpsReceiver,
  waitFor,
  loopbackDeliveryEnv,
  type HttpsReceiver,
} from './support/https-receiver';
import { createMember, syntheticMember } from './support/member-fixtures';
import { subscribePartner, type SubscribedPartner } from './support/subscription-fixtures';
import { setupSourcePartner } from './support/sync-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(121212);

/** Three attempts, a second apart, then the delivery is a dead letter (a failed deliveries.send job). */
const SCHEDULE = '0,1,1';
const ATTEMPTS = 3;
const MINUTE = 60_000;

interface Admin {
  id: string;
  email: string;
  password: string;
  totpSecret: string;
}

/**
 * A person at the queue dashboard, in Debian's Chromium: signs in through the page, finds a dead
 * letter, is refused its replay as an operator, replays it as a security admin, and is signed off
 * after 15 idle minutes (the API's ManualClock moves; nobody sleeps).
 */
describe('queue dashboard in a browser', () => {
  const clock = new ManualClock(Date.now());
  let receiver: HttpsReceiver;
  let api: TestApi;
  let worker: INestApplicationContext;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  let operator: Admin;
  let security: Admin;
  let subscriber: SubscribedPartner;
  let memberId: string;
  let canaries: string[];
  let deadLetter: Job;
  let failing = true;
  /** Every body the board's API answered the browser with, for the canary scan. */
  const apiBodies: string[] = [];

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
    const source = await setupSourcePartner(api, clock, ['sync:write', 'members:read', 'members:write']);
    subscriber = await subscribePartner(api, {
      officerToken: source.officer.accessToken,
      securityToken: source.security.accessToken,
      sourceOrganizationId: source.source.organizationId,
      receiverPort: receiver.port,
      categories: ['identity', 'contact', 'membership'],
      scopes: ['subscriptions:manage', 'members:read'],
      events: ['member.created'],
    });
    receiver.respond(subscriber.path, () => ({ status: failing ? 500 : 200 }));
    operator = await createAdmin('operator');
    security = await createAdmin('security_admin');

    // A member whose values are easy to spot anywhere: none of them may reach the dashboard.
    const body = syntheticMember(source.source.organizationId, {
      identity: {
        givenName: 'Canarygiven',
        familyName: 'Canaryfamily',
        dateOfBirth: '1961-07-13',
        sex: 'female',
      },
      contact: {
        email: 'canary.member@example.test',
        phone: '+15550177123',
        address: {
          line1: '77 Canary Lane',
          line2: null,
          city: 'Canaryville',
          state: 'CA',
          postalCode: '94110',
          country: 'US',
        },
      },
    });
    canaries = [
      'Canarygiven',
      'Canaryfamily',
      '1961-07-13',
      'canary.member@example.test',
      '+15550177123',
      '77 Canary Lane',
      'Canaryville',
      body.governmentId.ssn,
      body.membership.externalMemberNumber,
      body.dependents[0].givenName,
    ];
    memberId = await createMember(api, source.token, body);

    const failed = await waitFor(
      () => api.app.get(JobQueues).queue('deliveries').getFailed(),
      (jobs) => jobs.some((job) => job.name === 'deliveries.send' && job.data.memberId === memberId),
    );
    deadLetter = failed.find((job) => job.data.memberId === memberId)!;
    expect(receiver.received(subscriber.path)).toHaveLength(ATTEMPTS);

    profileDir = mkdtempSync(join(tmpdir(), 'msync-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      ignoreHTTPSErrors: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('response', (response) => {
      if (!response.url().startsWith(`${api.baseUrl}/admin/queues/api/`)) return;
      response.text().then(
        (text) => apiBodies.push(text),
        () => undefined,
      );
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await worker?.close();
    await api?.close();
    await receiver?.close();
  });

  async function createAdmin(role: AdminRole): Promise<Admin> {
    const email = faker.internet.email({ provider: 'example.test' }).toLowerCase();
    const password = faker.internet.password({ length: 20 });
    const created = await api.app.get(AdminUsersService).create({ email, password, role });
    return { id: created.id, email, password, totpSecret: created.totpSecret };
  }

  const jobPage = () => `${api.baseUrl}/admin/queues/queue/deliveries/${encodeURIComponent(deadLetter.id!)}`;

  /** Opens the board, is sent to the sign-in page, and signs in there (a fresh TOTP step each time). */
  async function signInThroughThePage(admin: Admin): Promise<void> {
    clock.advance(31_000);
    await page.goto(`${api.baseUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByLabel('Authenticator code').fill(totpCode(admin.totpSecret, clock.nowMs()));
    await Promise.all([
      page.waitForURL((url) => url.pathname.startsWith('/admin/queues')),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
  }

  const jobState = () =>
    api.app
      .get(JobQueues)
      .queue('deliveries')
      .getJob(deadLetter.id!)
      .then((j) => j?.getState());
  const retryAudit = () =>
    sql<{ outcome: string; actor_id: string; reason: string | null }>(
      api,
      `select outcome, actor_id, reason from audit_event where action = 'queues.job.retry' order by id`,
    );

  it('signs an operator in through the page, with the session cookie HttpOnly, Secure, SameSite=Strict on /admin', async () => {
    await signInThroughThePage(operator);
    await page.getByText('Deliveries (outbound webhooks)').first().waitFor();

    const cookies = await context.cookies(`${api.baseUrl}/admin/queues`);
    const session = cookies.find((c) => c.name === '__Secure-msync-admin');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' });
    const xsrf = cookies.find((c) => c.name === 'XSRF-TOKEN');
    expect(xsrf).toMatchObject({ httpOnly: false, secure: true, sameSite: 'Strict', path: '/admin' });
    // The page's own script cannot read the session cookie.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('__Secure-msync-admin');
  });

  it('shows the operator the failed delivery, with ids only in its data', async () => {
    await openJobData();
    const text = await page.locator('body').innerText();
    expect(text).toContain(subscriber.subscriptionId);
    for (const canary of canaries) expect(text).not.toContain(canary);
  });

  it("refuses the operator's retry: the job stays failed and the refusal is audited", async () => {
    await openJobData();
    expect(await clickRetry()).toBe(403);
    await waitFor(retryAudit, (rows) => rows.length > 0, 10_000);
    expect(await retryAudit()).toEqual([
      { outcome: 'denied', actor_id: operator.id, reason: 'missing_scope' },
    ]);
    expect(await jobState()).toBe('failed');
    expect(receiver.received(subscriber.path)).toHaveLength(ATTEMPTS);
  });

  it('signs the operator out: the session ends and the board sends the browser back to sign in', async () => {
    const before = (await context.cookies(`${api.baseUrl}/admin/queues`)).find(
      (c) => c.name === '__Secure-msync-admin',
    )!.value;
    await page.goto(`${api.baseUrl}/admin/queues`);
    // The board lists our sign-out link in its header menu.
    await page.locator('button[aria-haspopup="menu"]').first().click();
    await page.getByText('Sign out', { exact: true }).first().click();
    await page.waitForURL((url) => url.pathname === '/admin/sign-out');
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/admin/sign-in'),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    await page.getByText('You are signed out.').waitFor();
    expect((await context.cookies(`${api.baseUrl}/admin/queues`)).map((c) => c.name)).not.toContain(
      '__Secure-msync-admin',
    );
    // The old cookie, replayed, is refused: the session itself was revoked.
    const replayed = await context.request.get(`${api.baseUrl}/admin/queues/api/queues`, {
      headers: { cookie: `__Secure-msync-admin=${before}` },
    });
    expect(replayed.status()).toBe(401);
  });

  it('lets a security admin replay the dead letter from the page: the receiver gets it and the job leaves failed', async () => {
    failing = false;
    await signInThroughThePage(security);
    await openJobData();
    expect(await clickRetry()).toBe(204);

    const received = await waitFor(
      () => receiver.received(subscriber.path),
      (r) => r.length > ATTEMPTS,
    );
    expect(received).toHaveLength(ATTEMPTS + 1);
    // A replay is the same delivery: the same webhook-id as every earlier attempt.
    expect(received[ATTEMPTS].webhookId).toBe(received[0].webhookId);
    expect(await waitFor(jobState, (state) => state === 'completed')).toBe('completed');
    expect((await retryAudit()).at(-1)).toEqual({ outcome: 'success', actor_id: security.id, reason: null });
  });

  it('signs the admin off after 15 idle minutes: the next page lands on the sign-in page', async () => {
    await page.goto(`${api.baseUrl}/admin/queues`);
    await page.getByText('Deliveries (outbound webhooks)').first().waitFor();
    clock.advance(16 * MINUTE);
    const apiCall = await page.evaluate<number>("fetch('/admin/queues/api/queues').then((r) => r.status)");
    expect(apiCall).toBe(401);
    await page.reload();
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await page.getByText('Your session ended').waitFor();
  });

  it('never sent any member value to the browser, in any dashboard API answer', () => {
    const everything = apiBodies.join('\n');
    // The positive control: the board did show the dead letter's ids.
    expect(everything).toContain(memberId);
    for (const canary of canaries) expect(everything).not.toContain(canary);
  });

  /** Opens the dead letter's page in the board and its Data tab. */
  async function openJobData(): Promise<void> {
    await page.goto(jobPage());
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByText(memberId).first().waitFor();
  }

  /** Clicks the job page's Retry (confirming in the board's dialog if it asks); answers the PUT's status. */
  async function clickRetry(): Promise<number> {
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'PUT' && new URL(r.url()).pathname.endsWith('/retry'),
    );
    // The board's job actions are icon buttons named by a tooltip: the first of a failed job's is Retry.
    const retry = page.locator('ul[class^="jobActions"] > li').first().locator('button');
    await retry.hover();
    await page.getByText('Retry', { exact: true }).first().waitFor();
    await retry.click();
    const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog')).first();
    const first = await Promise.race([
      answer.then(() => 'sent' as const),
      dialog.waitFor({ timeout: 10_000 }).then(() => 'dialog' as const),
    ]);
    if (first === 'dialog')
      await dialog
        .getByRole('button', { name: /retry|confirm|yes|ok/i })
        .first()
        .click();
    return (await answer).status();
  }
});
