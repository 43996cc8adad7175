import { createConnection, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { ManualClock } from '@app/common';
import { createClient, insertMember, loginAdmin, setupPartner, sql } from './support/identity-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

// Documentation addresses (RFC 5737), told apart through a trusted proxy's X-Forwarded-For: each
// request gets an address of its own unless a test means to spend one address's budget.
let lastHost = 0;
const freshHost = () => `198.51.100.${++lastHost}`;
const CLIENT_LIMIT = 5;
const IP_LIMIT = 2;
// AlertsService sends counted member reads to Redis 100 ms after a read, off the request path.
const PAST_READS_FLUSH_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Commands this suite's API processes send to Redis, as MONITOR reports them (not those run inside
 * scripts). MONITOR runs on a socket of our own: ioredis' monitor() marks its connection as
 * monitoring only after the OK's promise settles, so when the shared Redis is busy the first
 * monitor lines arrive in the same chunk as the OK, are read as replies to no command, and the
 * connection fails with "Command queue state error" (seen in a full run).
 */
class RedisCommandLog {
  readonly commands: string[][] = [];
  private socket?: Socket;

  constructor(private readonly keyPrefix: string) {}

  async start(): Promise<void> {
    const url = new URL(TEST_REDIS_URL);
    const socket = createConnection(Number(url.port || 6379), url.hostname);
    this.socket = socket;
    let pending = '';
    let started = false;
    await new Promise<void>((resolve, reject) => {
      // Kept for the socket's life: an error after MONITOR started must not go unhandled.
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        let end: number;
        while ((end = pending.indexOf('\r\n')) >= 0) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (!started) {
            if (line !== '+OK') reject(new Error(`MONITOR answered ${line.slice(0, 80)}`));
            started = true;
            resolve();
          } else {
            this.record(line);
          }
        }
      });
      socket.write('MONITOR\r\n');
    });
  }

  clear(): void {
    this.commands.length = 0;
  }

  stop(): void {
    this.socket?.destroy();
  }

  /** `+<time> [<db> <client address>|lua] "arg" "arg" ...`, each argument quoted and escaped. */
  private record(line: string): void {
    const header = /^\+\S+ \[\d+ (\S+)\] /.exec(line);
    if (!header || header[1] === 'lua') return;
    const args = [...line.slice(header[0].length).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
      m[1].replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) =>
        e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e,
      ),
    );
    // Other suites share this Redis: only commands naming this suite's keys are ours.
    if (args.some((arg) => arg.includes(this.keyPrefix))) this.commands.push(args);
  }
}

describe('Redis round trips of a partner request', () => {
  const clock = new ManualClock(Date.now());
  // Admin set-up runs on a process with the default budgets; partner calls go to a second process
  // sharing its database, Redis and public URL (the 'jwt' passport strategy is per Node process, so
  // the last app started is the one whose verified-token cache passport fills).
  let adminApi: TestApi;
  let partnerApi: TestApi;
  let memberId: string;
  let newClient: () => Promise<{ clientId: string; clientSecret?: string }>;
  let log: RedisCommandLog;

  beforeAll(async () => {
    adminApi = await startTestApi({ clock });
    partnerApi = await startTestApi({
      clock,
      shareWith: adminApi,
      env: {
        TRUST_PROXY: 'true',
        RATE_LIMIT_CLIENT_PER_MINUTE: String(CLIENT_LIMIT),
        RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT),
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        // The usual-network rule learns from one request, so a client's network settles at its second.
        ALERT_IP_LEARNING_REQUESTS: '1',
      },
    });
    const officer = await loginAdmin(adminApi, clock, 'compliance_officer');
    const security = await loginAdmin(adminApi, clock, 'security_admin');
    const setup = await setupPartner(adminApi, officer.accessToken, { type: 'benefits_admin' });
    memberId = await insertMember(adminApi, setup.organizationId);
    newClient = () =>
      createClient(adminApi, security.accessToken, setup.partnerId, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read'],
      });
    log = new RedisCommandLog(partnerApi.config.redis.keyPrefix);
    await log.start();
  });
  afterAll(async () => {
    log?.stop();
    await partnerApi?.close();
    await adminApi?.close();
  });

  async function tokenFor(client: { clientId: string; clientSecret?: string }): Promise<string> {
    const res = await partnerApi
      .http()
      .post('/oauth/token')
      .set('x-forwarded-for', freshHost())
      .auth(client.clientId, client.clientSecret!)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  const read = (token: string, from: string) =>
    partnerApi
      .http()
      .get(`/api/v1/members/${memberId}`)
      .set('x-forwarded-for', from)
      .set('authorization', `Bearer ${token}`);

  /** A first read verifies the token's signature and caches its claims (and loads the script). */
  async function cachedToken(): Promise<{
    token: string;
    client: { clientId: string; clientSecret?: string };
  }> {
    const client = await newClient();
    const token = await tokenFor(client);
    expect((await read(token, freshHost())).status).toBe(200);
    return { token, client };
  }

  it('the command log starts and counts while other clients keep the shared Redis busy', async () => {
    // The harness behind every count below: ioredis' monitor() failed here (regression).
    const marker = `t_monitor_${Date.now()}`;
    const busy = new Redis(TEST_REDIS_URL);
    let flooding = true;
    const flood = (async () => {
      while (flooding)
        await Promise.all(Array.from({ length: 50 }, (_, i) => busy.incr(`${marker}:busy:${i % 5}`)));
    })();
    const own = new RedisCommandLog(`${marker}:own`);
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        const probe = new RedisCommandLog(`${marker}:probe`);
        await probe.start();
        probe.stop();
      }
      await own.start();
      await busy.set(`${marker}:own:a`, '1');
      await busy.hset(`${marker}:own:b`, 'f', 'v "quoted"');
      await sleep(100);
      expect(own.commands).toEqual([
        ['set', `${marker}:own:a`, '1'],
        ['hset', `${marker}:own:b`, 'f', 'v "quoted"'],
      ]);
    } finally {
      flooding = false;
      await flood;
      own.stop();
      await busy.del(
        ...Array.from({ length: 5 }, (_, i) => `${marker}:busy:${i}`),
        `${marker}:own:a`,
        `${marker}:own:b`,
      );
      busy.disconnect();
    }
  });

  it('a partner read with a cached token from a settled network makes one Redis round trip in all', async () => {
    const { token } = await cachedToken();
    // The second read from this network settles it for the usual-network rule (learning period over).
    expect((await read(token, freshHost())).status).toBe(200);
    await sleep(PAST_READS_FLUSH_MS);
    log.clear();

    const res = await read(token, freshHost());
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe(String(CLIENT_LIMIT - 3));
    // MONITOR reports asynchronously; the reads counter flushes meanwhile and is left out below.
    await sleep(PAST_READS_FLUSH_MS);

    const prefix = partnerApi.config.redis.keyPrefix;
    const names = (filter: (args: string[]) => boolean) =>
      log.commands.filter(filter).map((args) => args[0].toLowerCase());
    const touches = (part: string) => (args: string[]) =>
      args.some((arg) => arg.includes(`${prefix}:${part}`));
    // Per-IP counter, deny list and per-client counter: one script call, nothing else.
    expect(names((args) => touches('rl:')(args) || touches('revoked-jti:')(args))).toEqual(['evalsha']);
    // Nothing else: the usual-network rule knows this network is settled (AlertsService).
    expect(
      names((args) => !touches('rl:')(args) && !touches('revoked-jti:')(args) && !touches('reads:')(args)),
    ).toEqual([]);
  });

  it('still asks Redis for the usual-network rule from a network the client has not settled in', async () => {
    const { token } = await cachedToken();
    expect((await read(token, freshHost())).status).toBe(200);
    await sleep(PAST_READS_FLUSH_MS);
    log.clear();

    expect((await read(token, '203.0.113.7')).status).toBe(200);
    await sleep(PAST_READS_FLUSH_MS);
    const network = log.commands
      .filter((args) => args.some((arg) => arg.includes(`${partnerApi.config.redis.keyPrefix}:networks:`)))
      .map((args) => args[0].toLowerCase());
    expect(network).toEqual(['sadd', 'incr', 'expire', 'expire']);
    expect(await sql(adminApi, `select details from alert where type = 'unusual_source_network'`)).toEqual(
      expect.arrayContaining([{ details: { network: '203.0.113.0/24' } }]),
    );
  });

  it('a request refused by the per-IP limit does not count against the client budget', async () => {
    const { token } = await cachedToken();
    const busyHost = freshHost();
    for (let n = 1; n <= IP_LIMIT; n++) {
      const res = await read(token, busyHost);
      expect({ n, status: res.status }).toEqual({ n, status: 200 });
      expect({ n, remaining: res.headers['ratelimit-remaining'] }).toEqual({
        n,
        remaining: String(CLIENT_LIMIT - 1 - n),
      });
    }
    for (let n = 1; n <= 2; n++) {
      const refused = await read(token, busyHost);
      expect(refused.status).toBe(429);
      expect(refused.headers['ratelimit-limit']).toBe(String(IP_LIMIT));
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }

    // Warm-up and two reads spent three of the client's five; the two refusals spent none.
    const elsewhere = await read(token, freshHost());
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers['ratelimit-limit']).toBe(String(CLIENT_LIMIT));
    expect(elsewhere.headers['ratelimit-remaining']).toBe(String(CLIENT_LIMIT - 4));
  });

  it('a revoked cached token is refused at once and does not spend the client budget', async () => {
    const { token, client } = await cachedToken();
    const other = await tokenFor(client);
    const revoke = await partnerApi
      .http()
      .post('/oauth/revoke')
      .set('x-forwarded-for', freshHost())
      .auth(client.clientId, client.clientSecret!)
      .type('form')
      .send({ token });
    expect(revoke.status).toBe(200);

    // No clock change: the deny list is read on the request, not from a cache.
    for (const host of [freshHost(), freshHost()]) {
      const refused = await read(token, host);
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      // The per-IP budget was checked first; its headers are the ones on the refusal.
      expect(refused.headers['ratelimit-limit']).toBe(String(IP_LIMIT));
    }
    const reasons = await sql<{ reason: string }>(
      partnerApi,
      `select reason from audit_event where action = 'access.authenticate' order by id desc limit 2`,
    );
    expect(reasons).toEqual([{ reason: 'token_revoked' }, { reason: 'token_revoked' }]);

    // Only the warm-up read counted: the two refusals spent nothing.
    const allowed = await read(other, freshHost());
    expect(allowed.status).toBe(200);
    expect(allowed.headers['ratelimit-remaining']).toBe(String(CLIENT_LIMIT - 2));
  });
});
