import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { TEST_TLS_DIR } from '../../../../test/support/services';
import { signedDeliveryHeaders } from './delivery-signature';
import type { ResolveHost } from './host-resolver';
import { SafeWebhookClient } from './safe-webhook.client';
import { resolvedAddressesRefusal } from './subscription-url';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

type Responder = (path: string) => { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A receiver on 127.0.0.1 only (loopback-only testing rule): it counts every TCP connection, so a
 * test can prove a refused delivery never reached a socket.
 */
async function startReceiver(respond: Responder) {
  const received: Received[] = [];
  let connections = 0;
  const server: Server = createServer({
    cert: readFileSync(join(TEST_TLS_DIR, 'cert.pem')),
    key: readFileSync(join(TEST_TLS_DIR, 'key.pem')),
  });
  server.on('connection', () => (connections += 1));
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const answer = respond(req.url ?? '');
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const ca = () => readFileSync(join(TEST_TLS_DIR, 'cert.pem'));

describe('SafeWebhookClient against a local HTTPS receiver', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let respond: Responder;
  const clients: SafeWebhookClient[] = [];
  const client = (options: ConstructorParameters<typeof SafeWebhookClient>[0]) => {
    const made = new SafeWebhookClient({ ca: ca(), ...options });
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    receiver = await startReceiver((path) => respond(path));
  });
  beforeEach(() => {
    respond = () => ({ status: 204 });
    receiver.received.length = 0;
  });
  afterAll(async () => {
    for (const made of clients) made.onModuleDestroy();
    await receiver.close();
  });

  it('refuses at connect time a name that was public when registered and now resolves to 127.0.0.1, opening no connection', async () => {
    let answer = [{ address: '93.184.216.34', family: 4 }];
    const lookup: ResolveHost = () => Promise.resolve(answer);
    // Registration: the name resolved to a public address, so it was accepted.
    expect(
      resolvedAddressesRefusal((await lookup('hooks.partner.example')).map((a) => a.address)),
    ).toBeNull();
    // Then the partner's DNS is rebound to loopback, at the port our receiver listens on.
    answer = [{ address: '127.0.0.1', family: 4 }];
    const before = receiver.connections();

    const sut = client({ lookup });
    const result = await sut.post(`https://hooks.partner.example:${receiver.port}/hooks`, '{}', {});

    expect(result).toEqual({ outcome: 'refused', reason: 'non_public_address' });
    expect(receiver.connections()).toBe(before);
    expect(receiver.received).toHaveLength(0);

    // Positive control: the same name and port with the test-only allowance does reach the receiver
    // (and fails TLS there, since the certificate does not name it), so the count above can move.
    const control = await client({ lookup, allowLoopback: true }).post(
      `https://hooks.partner.example:${receiver.port}/hooks`,
      '{}',
      {},
    );
    expect(control).toMatchObject({ outcome: 'failed', reason: 'tls' });
    expect(receiver.connections()).toBe(before + 1);
  });

  it.each([
    ['a loopback literal', (port: number) => `https://127.0.0.1:${port}/hooks`],
    ['an IPv6 loopback literal', (port: number) => `https://[::1]:${port}/hooks`],
    ['localhost (resolved by the system)', (port: number) => `https://localhost:${port}/hooks`],
  ])('refuses %s without the test-only allowance, opening no connection', async (_what, url) => {
    const before = receiver.connections();
    const result = await client({}).post(url(receiver.port), '{}', {});
    expect(result).toEqual({ outcome: 'refused', reason: 'non_public_address' });
    expect(receiver.connections()).toBe(before);
  });

  it('refuses plain http and a URL with credentials before anything else', async () => {
    const sut = client({ allowLoopback: true });
    expect(await sut.post(`http://127.0.0.1:${receiver.port}/hooks`, '{}', {})).toEqual({
      outcome: 'refused',
      reason: 'not_https',
    });
    expect(await sut.post(`https://u:p@127.0.0.1:${receiver.port}/hooks`, '{}', {})).toEqual({
      outcome: 'refused',
      reason: 'credentials_in_url',
    });
    expect(receiver.received).toHaveLength(0);
  });

  it('delivers with the test-only allowance, and the standardwebhooks library verifies both signatures over the bytes received', async () => {
    const [current, previous] = [secret(), secret()];
    const body = Buffer.from(
      JSON.stringify({ type: 'member.updated', memberId: 'mbr_01JD3Q4Z5X6C7V8B9N0M1K2J3H', version: 2 }),
    );
    const headers = signedDeliveryHeaders([current, previous], 'dlv_01', Math.floor(Date.now() / 1000), body);

    const result = await client({ allowLoopback: true }).post(
      `https://127.0.0.1:${receiver.port}/hooks`,
      body,
      headers,
    );

    expect(result).toEqual({ outcome: 'response', status: 204, retryAfterSeconds: null });
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0];
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers['content-type']).toBe('application/json');
    const asStrings = got.headers as Record<string, string>;
    for (const held of [current, previous])
      expect(() => new Webhook(held).verify(got.body.toString('utf8'), asStrings)).not.toThrow();
    expect(() => new Webhook(secret()).verify(got.body.toString('utf8'), asStrings)).toThrow();
  });

  it('does not follow a redirect: a 3xx is the answer', async () => {
    respond = (path) =>
      path === '/hooks'
        ? { status: 302, headers: { location: `https://127.0.0.1:${receiver.port}/elsewhere` } }
        : { status: 204 };
    const result = await client({ allowLoopback: true }).post(
      `https://127.0.0.1:${receiver.port}/hooks`,
      '{}',
      {},
    );
    expect(result).toEqual({ outcome: 'response', status: 302, retryAfterSeconds: null });
    expect(receiver.received.map((r) => r.path)).toEqual(['/hooks']);
  });

  it('returns the status and Retry-After of a refusal', async () => {
    respond = () => ({ status: 503, headers: { 'retry-after': '120' } });
    const result = await client({ allowLoopback: true }).post(
      `https://127.0.0.1:${receiver.port}/hooks`,
      '{}',
      {},
    );
    expect(result).toEqual({ outcome: 'response', status: 503, retryAfterSeconds: 120 });
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    respond = () => 'hang';
    const started = Date.now();
    const result = await client({ allowLoopback: true }).post(
      `https://127.0.0.1:${receiver.port}/hooks`,
      '{}',
      {},
      { timeoutMs: 300 },
    );
    expect(result).toMatchObject({ outcome: 'failed', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses the test-only allowance in production', () => {
    expect(() => new SafeWebhookClient({ allowLoopback: true, environment: 'production' })).toThrow(
      /tests only/,
    );
  });
});
