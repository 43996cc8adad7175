import { createHash } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { Redis } from 'ioredis';
import { JobQueues, ManualClock, type AdminRole } from '@app/common';
import { AdminUsersService, totpCode } from '@app/identity';
import { sql } from './support/identity-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(31337);

const API = '/admin/queues/api';
const SESSION_COOKIE = '__Secure-msync-admin';
const MINUTE = 60_000;

interface Admin {
  id: string;
  email: string;
  password: string;
  totpSecret: string;
}

interface BrowserSession {
  /** The Cookie header a browser would send to /admin/queues. */
  cookie: string;
  handle: string;
  xsrf: string;
}

/** Every Set-Cookie of an answer, by cookie name: value and attributes, as the browser gets them. */
function setCookies(headers: Record<string, unknown>): Map<string, { value: string; attributes: string[] }> {
  const raw = (headers['set-cookie'] as string[] | undefined) ?? [];
  return new Map(
    raw.map((line) => {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), { value: pair.slice(eq + 1), attributes }];
    }),
  );
}

describe('queue dashboard: cookie session, CSRF and idle logoff', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let origin: string;
  let operator: Admin;
  let security: Admin;

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    origin = api.baseUrl;
    operator = await createAdmin('operator');
    security = await createAdmin('security_admin');
  });
  afterAll(async () => {
    await api?.close();
  });

  async function createAdmin(role: AdminRole): Promise<Admin> {
    const email = faker.internet.email({ provider: 'example.test' }).toLowerCase();
    const password = faker.internet.password({ length: 20 });
    const created = await api.app.get(AdminUsersService).create({ email, password, role });
    return { id: created.id, email, password, totpSecret: created.totpSecret };
  }

  /** Opens the sign-in page: its form token and the cookie that must come back with it. */
  async function signInForm(): Promise<{ formToken: string; cookie: string }> {
    const page = await api.http().get('/admin/sign-in').set('sec-fetch-mode', 'navigate');
    expect(page.status).toBe(200);
    const formToken = /name="formToken" value="([^"]+)"/.exec(page.text)?.[1];
    const cookie = setCookies(page.headers).get('__Secure-msync-signin');
    if (!formToken || !cookie) throw new Error('the sign-in page gave no form token');
    return { formToken, cookie: `__Secure-msync-signin=${cookie.value}` };
  }

  /** Posts the form as our page would; a header given as undefined is left out. */
  function postSignIn(form: Record<string, string>, headers: Record<string, string | undefined>) {
    const sent = { origin, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', ...headers };
    return api
      .http()
      .post('/admin/sign-in')
      .type('form')
      .set(
        Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== undefined)) as Record<
          string,
          string
        >,
      )
      .send(form);
  }

  /** Signs in through the form as a browser would (a fresh TOTP step each time: a code works once). */
  async function signIn(admin: Admin): Promise<BrowserSession> {
    clock.advance(31_000);
    const { formToken, cookie } = await signInForm();
    const res = await postSignIn(
      {
        formToken,
        email: admin.email,
        password: admin.password,
        totp: totpCode(admin.totpSecret, clock.nowMs()),
      },
      { cookie },
    );
    expect(res.status).toBe(303);
    const cookies = setCookies(res.headers);
    const handle = cookies.get(SESSION_COOKIE)!.value;
    const xsrf = cookies.get('XSRF-TOKEN')!.value;
    return { cookie: `${SESSION_COOKIE}=${handle}; XSRF-TOKEN=${xsrf}`, handle, xsrf };
  }

  /** A read by the board's own script (not a navigation: it does not count as activity). */
  const boardRead = (session: Pick<BrowserSession, 'cookie'>) =>
    api
      .http()
      .get(`${API}/queues`)
      .set({ cookie: session.cookie, 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' });
  const navigate = (session: Pick<BrowserSession, 'cookie'>, path = '/admin/queues') =>
    api.http().get(path).set({ cookie: session.cookie, 'sec-fetch-mode': 'navigate', accept: 'text/html' });
  const pause = (session: BrowserSession, headers: Record<string, string>) =>
    api
      .http()
      .put(`${API}/queues/alerts/pause`)
      .set({ cookie: session.cookie, 'sec-fetch-site': 'same-origin', origin, ...headers })
      .send({});
  const paused = () => api.app.get(JobQueues).queue('alerts').isPaused();
  const pauseAudit = () =>
    sql<{ outcome: string; reason: string | null; actor_id: string }>(
      api,
      `select outcome, reason, actor_id from audit_event where action = 'queues.pause' order by id`,
    );

  it('signs in with password and TOTP: HttpOnly, Secure, SameSite=Strict cookies on /admin, then the board', async () => {
    clock.advance(31_000);
    const { formToken, cookie } = await signInForm();
    const res = await postSignIn(
      {
        formToken,
        email: operator.email,
        password: operator.password,
        totp: totpCode(operator.totpSecret, clock.nowMs()),
      },
      { cookie },
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/queues');
    const cookies = setCookies(res.headers);
    const session = cookies.get(SESSION_COOKIE)!;
    expect(session.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.attributes.sort()).toEqual(['HttpOnly', 'Path=/admin', 'SameSite=Strict', 'Secure']);
    // Readable by the board's script (it echoes it as X-XSRF-TOKEN), otherwise the same scope.
    expect(cookies.get('XSRF-TOKEN')!.attributes.sort()).toEqual([
      'Path=/admin',
      'SameSite=Strict',
      'Secure',
    ]);

    const signedIn = { cookie: `${SESSION_COOKIE}=${session.value}` };
    const page = await navigate(signedIn);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="root">');
    const list = await boardRead(signedIn);
    expect(list.status).toBe(200);
    const deliveries = list.body.queues.find((q: { name: string }) => q.name === 'deliveries');
    expect(deliveries).toMatchObject({ displayName: 'Deliveries (outbound webhooks)' });
    expect(deliveries.description).toMatch(/dead letters/);

    // Redis holds the handle's SHA-256 only: neither a key nor a value is the handle itself.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`${api.config.redis.keyPrefix}:admin-browser-session:*`);
      const digest = createHash('sha256').update(session.value).digest('hex');
      expect(keys).toContain(`${api.config.redis.keyPrefix}:admin-browser-session:${digest}`);
      const all = await redis.keys(`${api.config.redis.keyPrefix}:*`);
      expect(all.join('\n')).not.toContain(session.value);
      const values = await Promise.all(keys.map((key) => redis.get(key)));
      expect(values.join('\n')).not.toContain(session.value);
    } finally {
      redis.disconnect();
    }
    const logins = await sql<{ outcome: string; actor_id: string; route: string }>(
      api,
      `select outcome, actor_id, route from audit_event where action = 'admin.login' and actor_id = $1`,
      [operator.id],
    );
    expect(logins).toContainEqual({ outcome: 'success', actor_id: operator.id, route: '/admin/sign-in' });
  });

  it('refuses a wrong TOTP (or password) without a session cookie, echoing nothing, audited', async () => {
    clock.advance(31_000);
    const { formToken, cookie } = await signInForm();
    const wrongCode = String((Number(totpCode(security.totpSecret, clock.nowMs())) + 1) % 1_000_000).padStart(
      6,
      '0',
    );
    const res = await postSignIn(
      { formToken, email: security.email, password: security.password, totp: wrongCode },
      { cookie },
    );
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Sign-in failed');
    expect(res.text).not.toContain(security.email);
    expect(res.text).not.toContain(security.password);
    expect(setCookies(res.headers).has(SESSION_COOKIE)).toBe(false);
    expect(setCookies(res.headers).has('XSRF-TOKEN')).toBe(false);

    const wrongPassword = await postSignIn(
      { formToken, email: security.email, password: `${security.password}x`, totp: wrongCode },
      { cookie },
    );
    expect(wrongPassword.status).toBe(401);
    expect(setCookies(wrongPassword.headers).has(SESSION_COOKIE)).toBe(false);

    const failures = await sql<{ reason: string }>(
      api,
      `select reason from audit_event where action = 'admin.login' and outcome = 'failure' and actor_id = $1`,
      [security.id],
    );
    expect(failures.map((f) => f.reason).sort()).toEqual(['bad_password', 'bad_totp']);
  });

  it('refuses a sign-in posted from another site, or without the form token and its cookie (login CSRF)', async () => {
    clock.advance(31_000);
    const { formToken, cookie } = await signInForm();
    const credentials = {
      email: operator.email,
      password: operator.password,
      totp: totpCode(operator.totpSecret, clock.nowMs()),
    };
    const cases = [
      postSignIn(
        { formToken, ...credentials },
        { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      ),
      postSignIn(
        { formToken, ...credentials },
        { cookie, origin: 'https://evil.example', 'sec-fetch-site': undefined },
      ),
      postSignIn({ formToken, ...credentials }, { cookie, origin: 'null', 'sec-fetch-site': undefined }),
      postSignIn({ formToken, ...credentials }, {}),
      postSignIn({ formToken: 'x'.repeat(43), ...credentials }, { cookie }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(403);
      expect(res.text).toContain('did not come from this site');
      expect(setCookies(res.headers).has(SESSION_COOKIE)).toBe(false);
    }
    // None of them reached the login: no TOTP was spent, no session opened.
    const opened = await sql(api, `select 1 from admin_session where admin_user_id = $1`, [operator.id]);
    expect(opened).toHaveLength(1);
  });

  it('answers malformed sign-in bodies with a form or a problem, never a 500', async () => {
    const { formToken, cookie } = await signInForm();
    const repeated = await api
      .http()
      .post('/admin/sign-in')
      .type('form')
      .set({ cookie, origin })
      .send(`formToken=${formToken}&email=a&email=b&password=p&totp=123456`);
    expect(repeated.status).toBe(403);
    const missing = await postSignIn({ formToken, email: 'someone@example.test' }, { cookie });
    expect(missing.status).toBe(400);
    expect(missing.text).not.toContain('someone@example.test');
    const huge = await postSignIn(
      { formToken, email: 'a', password: 'p'.repeat(10_000), totp: '123456' },
      { cookie },
    );
    expect(huge.status).toBe(413);
    expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
    const text = await api
      .http()
      .post('/admin/sign-in')
      .set({ cookie, origin, 'content-type': 'text/plain' })
      .send('email=a');
    expect(text.status).toBe(415);
    const json = await api
      .http()
      .post('/admin/sign-in')
      .set({ cookie, origin })
      .send({ formToken, email: ['a'], password: { $gt: '' }, totp: 123456 });
    expect(json.status).toBe(403);
  });

  it('refuses a change with the cookie but a missing or wrong CSRF token: 403, nothing changed, audited', async () => {
    const session = await signIn(security);
    const attempts: Record<string, string>[] = [
      {},
      { 'x-xsrf-token': 'A'.repeat(43) },
      { 'x-xsrf-token': `${session.xsrf}x` },
    ];
    for (const headers of attempts) {
      const res = await pause(session, headers);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await paused()).toBe(false);
    const refusals = (await pauseAudit()).filter((e) => e.actor_id === security.id);
    expect(refusals).toEqual(
      Array(3).fill({ outcome: 'denied', reason: 'csrf_token_invalid', actor_id: security.id }),
    );

    // The control: the same request with the session's token pauses the queue.
    const allowed = await pause(session, { 'x-xsrf-token': session.xsrf });
    expect(allowed.status).toBe(200);
    expect(await paused()).toBe(true);
    await api.app.get(JobQueues).queue('alerts').resume();
  });

  it("refuses a change from another origin even with the session's CSRF token", async () => {
    const session = await signIn(security);
    const foreign = await pause(session, { 'x-xsrf-token': session.xsrf, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const crossSite = await pause(session, { 'x-xsrf-token': session.xsrf, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(await paused()).toBe(false);
    const reasons = (await pauseAudit()).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['foreign_origin', 'cross_site_fetch']));
  });

  it("does not accept one admin's cookie with another session's CSRF token", async () => {
    const mine = await signIn(security);
    const theirs = await signIn(operator);
    const res = await pause(mine, { 'x-xsrf-token': theirs.xsrf });
    expect(res.status).toBe(403);
    expect(await paused()).toBe(false);
    expect((await pauseAudit()).at(-1)).toEqual({
      outcome: 'denied',
      reason: 'csrf_token_invalid',
      actor_id: security.id,
    });
  });

  it('lets an operator read but refuses it a change even with a valid CSRF token', async () => {
    const session = await signIn(operator);
    expect((await boardRead(session)).status).toBe(200);
    const res = await pause(session, { 'x-xsrf-token': session.xsrf });
    expect(res.status).toBe(403);
    expect(await paused()).toBe(false);
    expect((await pauseAudit()).at(-1)).toEqual({
      outcome: 'denied',
      reason: 'missing_scope',
      actor_id: operator.id,
    });
  });

  it('answers an unknown or tampered cookie with 401 to the API and the sign-in page to a browser', async () => {
    const session = await signIn(operator);
    const flipped = `${session.handle.slice(0, -1)}${session.handle.endsWith('A') ? 'B' : 'A'}`;
    for (const cookie of [`${SESSION_COOKIE}=${flipped}`, `${SESSION_COOKIE}=not-a-handle`]) {
      const read = await boardRead({ cookie });
      expect(read.status).toBe(401);
      expect(read.headers['content-type']).toMatch(/^application\/problem\+json/);
      const page = await navigate({ cookie });
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/admin/sign-in?message=ended');
      // The dead cookie is cleared.
      expect(setCookies(page.headers).get(SESSION_COOKIE)?.attributes).toContain('Max-Age=0');
    }
    // No cookie at all: a browser goes to the sign-in page, a script gets 401 as before.
    const anonymous = await api.http().get('/admin/queues').set('sec-fetch-mode', 'navigate');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/admin/sign-in');
    expect((await api.http().get('/admin/queues')).status).toBe(401);
    // The valid session was untouched by all this.
    expect((await boardRead(session)).status).toBe(200);
  });

  it('signs out: needs the CSRF token, then the cookie no longer works (audited)', async () => {
    const session = await signIn(operator);
    const confirm = await navigate(session, '/admin/sign-out');
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain(`name="csrf" value="${session.xsrf}"`);

    const forged = await api
      .http()
      .post('/admin/sign-out')
      .type('form')
      .set({ cookie: session.cookie, origin })
      .send({ csrf: 'A'.repeat(43) });
    expect(forged.status).toBe(403);
    expect((await boardRead(session)).status).toBe(200);

    const out = await api
      .http()
      .post('/admin/sign-out')
      .type('form')
      .set({ cookie: session.cookie, origin, 'sec-fetch-site': 'same-origin' })
      .send({ csrf: session.xsrf });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/admin/sign-in?message=signed_out');
    expect(setCookies(out.headers).get(SESSION_COOKIE)?.attributes).toContain('Max-Age=0');

    expect((await boardRead(session)).status).toBe(401);
    expect((await navigate(session)).headers.location).toBe('/admin/sign-in?message=ended');
    const logout = await sql(
      api,
      `select 1 from audit_event where action = 'admin.logout' and actor_id = $1`,
      [operator.id],
    );
    expect(logout).toHaveLength(1);
  });

  it("ends a session idle for 15 minutes; the board's background reads do not keep it alive, pages do", async () => {
    const polled = await signIn(operator);
    const browsed = await signIn(operator);
    clock.advance(10 * MINUTE);
    expect((await boardRead(polled)).status).toBe(200);
    expect((await navigate(browsed)).status).toBe(200);
    clock.advance(6 * MINUTE);
    // 16 minutes since polled's last page or change: its reads never counted.
    expect((await boardRead(polled)).status).toBe(401);
    // 6 minutes since browsed opened a page.
    expect((await boardRead(browsed)).status).toBe(200);
    clock.advance(16 * MINUTE);
    expect((await navigate(browsed)).headers.location).toBe('/admin/sign-in?message=ended');
    const idle = await sql(
      api,
      `select 1 from audit_event where action = 'access.authenticate' and reason = 'idle_timeout'`,
    );
    expect(idle.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps bearer tokens working for scripts, without a CSRF token', async () => {
    clock.advance(31_000);
    const login = await api
      .http()
      .post('/api/v1/admin/session')
      .send({
        email: security.email,
        password: security.password,
        totp: totpCode(security.totpSecret, clock.nowMs()),
      });
    expect(login.status).toBe(200);
    const res = await api
      .http()
      .put(`${API}/queues/alerts/pause`)
      .set('authorization', `Bearer ${login.body.accessToken}`)
      .send({});
    expect(res.status).toBe(200);
    expect(await paused()).toBe(true);
    await api.app.get(JobQueues).queue('alerts').resume();
  });
  it('keeps no session in the process: a cookie from one API process works on another, and so does its sign-out', async () => {
    const other = await startTestApi({ clock, shareWith: api });
    try {
      const session = await signIn(security);
      const read = await other
        .http()
        .get(`${API}/queues`)
        .set({ cookie: session.cookie, 'sec-fetch-mode': 'cors' });
      expect(read.status).toBe(200);
      const out = await other
        .http()
        .post('/admin/sign-out')
        .type('form')
        .set({ cookie: session.cookie, origin: other.baseUrl, 'sec-fetch-site': 'same-origin' })
        .send({ csrf: session.xsrf });
      expect(out.status).toBe(303);
      expect((await boardRead(session)).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  // Last: the per-IP sign-in budget lives in Redis and blocks this address for a minute once spent.
  it('limits sign-in attempts per address, with the budget of POST /api/v1/admin/session', async () => {
    const strict = await startTestApi({ clock, shareWith: api, env: { RATE_LIMIT_AUTH_PER_MINUTE: '2' } });
    try {
      const page = await strict.http().get('/admin/sign-in');
      const formToken = /name="formToken" value="([^"]+)"/.exec(page.text)![1];
      const cookie = `__Secure-msync-signin=${setCookies(page.headers).get('__Secure-msync-signin')!.value}`;
      const attempt = () =>
        strict
          .http()
          .post('/admin/sign-in')
          .type('form')
          .set({ cookie, origin: strict.baseUrl, 'sec-fetch-site': 'same-origin' })
          .send({ formToken, email: operator.email, password: 'wrong-password', totp: '000000' });
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await attempt()).status);
      expect(statuses.at(-1)).toBe(429);
      const blocked = await attempt();
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.text).toContain('Too many sign-in attempts');
      expect(setCookies(blocked.headers).has(SESSION_COOKIE)).toBe(false);
    } finally {
      await strict.close();
    }
  });
});
