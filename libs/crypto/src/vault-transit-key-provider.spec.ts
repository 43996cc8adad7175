import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnwrapFailed } from './key-provider';
import { VaultTransitKeyProvider, VaultTransitKeyProviderOptions } from './vault-transit-key-provider';

const TOKEN = `hvs.${randomBytes(18).toString('base64url')}`;
const KEY = 'member-sync-kek';

interface StandIn {
  addr: string;
  requests: { path: string; headers: IncomingHttpHeaders; body: string }[];
  /** From now on every call answers 503, as a sealed Vault does. */
  seal(): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for Vault's transit encrypt/decrypt API. A derived key is AES-256-GCM keyed by
 * HMAC(master, context), so a wrong context fails authentication and answers 400 like Vault; a
 * non-derived key ignores the context, as Vault does.
 */
async function startTransit(opts: { derived?: boolean; stall?: boolean } = {}): Promise<StandIn> {
  const derived = opts.derived ?? true;
  const master = randomBytes(32);
  const keyFor = (context: string) =>
    derived ? createHmac('sha256', master).update(Buffer.from(context, 'base64')).digest() : master;
  const requests: StandIn['requests'] = [];
  let sealed = false;

  const answer = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    requests.push({ path: req.url ?? '', headers: req.headers, body: raw });
    if (opts.stall) return; // never answers
    if (sealed) return answer(res, 503, { errors: ['Vault is sealed'] });
    if (req.headers['x-vault-token'] !== TOKEN) return answer(res, 403, { errors: ['permission denied'] });
    const body = JSON.parse(raw) as { plaintext?: string; ciphertext?: string; context?: string };
    if (derived && !body.context)
      return answer(res, 400, { errors: ["missing 'context' for key derivation"] });
    const key = keyFor(body.context ?? '');

    if (req.method === 'POST' && req.url === `/v1/transit/encrypt/${KEY}`) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(Buffer.from(body.plaintext ?? '', 'base64')), cipher.final()]);
      const blob = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64');
      return answer(res, 200, { data: { ciphertext: `vault:v1:${blob}`, key_version: 1 } });
    }
    if (req.method === 'POST' && req.url === `/v1/transit/decrypt/${KEY}`) {
      const match = /^vault:v1:(.+)$/.exec(body.ciphertext ?? '');
      if (!match) return answer(res, 400, { errors: ['invalid ciphertext: no prefix'] });
      try {
        const blob = Buffer.from(match[1], 'base64');
        const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
        decipher.setAuthTag(blob.subarray(blob.length - 16));
        const plaintext = Buffer.concat([
          decipher.update(blob.subarray(12, blob.length - 16)),
          decipher.final(),
        ]);
        return answer(res, 200, { data: { plaintext: plaintext.toString('base64') } });
      } catch {
        return answer(res, 400, { errors: ['cipher: message authentication failed'] });
      }
    }
    return answer(res, 404, { errors: [] });
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    addr: `http://127.0.0.1:${port}`,
    requests,
    seal: () => (sealed = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('VaultTransitKeyProvider', () => {
  let vault: StandIn;
  let sut: VaultTransitKeyProvider;
  const provider = (overrides: Partial<VaultTransitKeyProviderOptions> = {}) =>
    new VaultTransitKeyProvider({
      addr: vault.addr,
      token: { value: TOKEN },
      mount: 'transit',
      key: KEY,
      ...overrides,
    });

  beforeEach(async () => {
    vault = await startTransit();
    sut = provider();
  });
  afterEach(() => vault.close());

  it('round-trips a secret under the same context', async () => {
    const secret = randomBytes(32);
    const wrapped = await sut.wrap(secret, 'signing-key:k1');
    expect(wrapped).toEqual({
      kek: `vault-transit:${KEY}`,
      iv: '',
      ct: expect.stringMatching(/^vault:v1:/),
      tag: '',
    });
    await expect(sut.unwrap(wrapped, 'signing-key:k1')).resolves.toEqual(secret);
  });

  it('refuses a secret moved to another context', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'admin-totp:adm_A');
    await expect(sut.unwrap(wrapped, 'admin-totp:adm_B')).rejects.toBeInstanceOf(UnwrapFailed);
  });

  it('refuses a tampered ciphertext', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    const blob = Buffer.from(wrapped.ct.slice('vault:v1:'.length), 'base64');
    blob[14] ^= 1;
    await expect(
      sut.unwrap({ ...wrapped, ct: `vault:v1:${blob.toString('base64')}` }, 'ctx'),
    ).rejects.toBeInstanceOf(UnwrapFailed);
  });

  it('refuses a secret wrapped under another key without asking Vault', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    const asked = vault.requests.length;
    await expect(sut.unwrap({ ...wrapped, kek: 'local:0123456789abcdef' }, 'ctx')).rejects.toBeInstanceOf(
      UnwrapFailed,
    );
    expect(vault.requests).toHaveLength(asked);
  });

  it('treats a rejected token as an outage, not as tampering, and never repeats the token', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    const outcome = provider({ token: { value: 'hvs.revoked-token' } }).unwrap(wrapped, 'ctx');
    await expect(outcome).rejects.toThrow('Vault transit encrypt answered HTTP 403');
    await expect(outcome).rejects.not.toBeInstanceOf(UnwrapFailed);
    await expect(outcome).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('revoked') }),
    );
  });

  it('sends the token and namespace in headers, never in the URL or body', async () => {
    await provider({ namespace: 'admin/member-sync' }).wrap(randomBytes(32), 'ctx');
    expect(vault.requests.length).toBeGreaterThan(0);
    for (const request of vault.requests) {
      expect(request.headers['x-vault-token']).toBe(TOKEN);
      expect(request.headers['x-vault-namespace']).toBe('admin/member-sync');
      expect(request.path).not.toContain(TOKEN);
      expect(request.body).not.toContain(TOKEN);
    }
  });

  it('sends the context base64-encoded and never the plaintext in the clear', async () => {
    const secret = Buffer.from('synthetic-secret-canary');
    await sut.wrap(secret, 'member-dk:mbr_123:v1');
    const encrypt = JSON.parse(vault.requests[vault.requests.length - 1].body);
    expect(encrypt).toEqual({
      plaintext: secret.toString('base64'),
      context: Buffer.from('member-dk:mbr_123:v1').toString('base64'),
    });
  });

  it('re-reads a token file on each call, so a rotated token is picked up', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vault-token-')), 'token');
    writeFileSync(file, 'hvs.stale\n', { mode: 0o600 });
    const fromFile = provider({ token: { file } });
    await expect(fromFile.wrap(randomBytes(32), 'ctx')).rejects.toThrow('HTTP 403');
    writeFileSync(file, `${TOKEN}\n`);
    const wrapped = await fromFile.wrap(randomBytes(32), 'ctx');
    await expect(fromFile.unwrap(wrapped, 'ctx')).resolves.toHaveLength(32);
  });

  it('refuses a transit key that is not derived, since Vault would ignore the context', async () => {
    const plain = await startTransit({ derived: false });
    try {
      const lax = new VaultTransitKeyProvider({
        addr: plain.addr,
        token: { value: TOKEN },
        mount: 'transit',
        key: KEY,
      });
      await expect(lax.wrap(randomBytes(32), 'ctx')).rejects.toThrow(`"${KEY}" ignores the context`);
      await expect(
        lax.unwrap({ kek: `vault-transit:${KEY}`, iv: '', ct: 'vault:v1:AA==', tag: '' }, 'ctx'),
      ).rejects.toThrow('ignores the context');
    } finally {
      await plain.close();
    }
  });

  it('gives up after its timeout with an error that is not UnwrapFailed', async () => {
    const stalled = await startTransit({ stall: true });
    try {
      const slow = new VaultTransitKeyProvider({
        addr: stalled.addr,
        token: { value: TOKEN },
        mount: 'transit',
        key: KEY,
        timeoutMs: 100,
      });
      const outcome = slow.unwrap(
        { kek: `vault-transit:${KEY}`, iv: '', ct: 'vault:v1:AA==', tag: '' },
        'ctx',
      );
      await expect(outcome).rejects.toThrow('Vault transit encrypt timed out');
      await expect(outcome).rejects.not.toBeInstanceOf(UnwrapFailed);
    } finally {
      await stalled.close();
    }
  });

  it('reports a sealed Vault (503) on decrypt as an outage, not as tampering', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    vault.seal();
    const outcome = sut.unwrap(wrapped, 'ctx');
    await expect(outcome).rejects.toThrow('Vault transit decrypt answered HTTP 503');
    await expect(outcome).rejects.not.toBeInstanceOf(UnwrapFailed);
  });

  it('reports an unreachable Vault as an outage, not as tampering', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    await vault.close();
    const outcome = sut.unwrap(wrapped, 'ctx');
    await expect(outcome).rejects.toThrow('Vault transit decrypt failed');
    await expect(outcome).rejects.not.toBeInstanceOf(UnwrapFailed);
  });
});
