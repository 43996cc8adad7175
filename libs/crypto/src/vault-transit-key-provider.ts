import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KeyProvider, UnwrapFailed, WrappedSecret } from './key-provider';

export interface VaultTransitKeyProviderOptions {
  /** Vault's base URL, e.g. https://vault.internal:8200. */
  addr: string;
  /** A fixed token, or a file re-read on every call (a Vault Agent sink is rewritten on re-auth). */
  token: { value: string } | { file: string };
  mount: string;
  /** A transit key created with `derived=true`. */
  key: string;
  namespace?: string;
  timeoutMs?: number;
}

interface TransitAnswer {
  data?: { ciphertext?: unknown; plaintext?: unknown };
}

/**
 * KEK in HashiCorp Vault's transit engine: the key never leaves Vault. The key must be derived, so
 * Vault derives a per-context key and a ciphertext moved to another context fails to decrypt
 * (Vault answers 400). Errors name the operation and status only, never the plaintext, token or
 * context.
 */
export class VaultTransitKeyProvider extends KeyProvider {
  readonly name = 'vault-transit';
  private readonly kekId: string;
  private readonly keyName: string;
  private readonly baseUrl: string;
  private readonly namespace?: string;
  private readonly timeoutMs: number;
  // JS-private and not kept in an options object: util.inspect and JSON.stringify never show it.
  readonly #token: { value: string } | { file: string };
  private contextCheck?: Promise<void>;

  constructor(options: VaultTransitKeyProviderOptions) {
    super();
    const mount = options.mount.split('/').map(encodeURIComponent).join('/');
    this.baseUrl = `${options.addr.replace(/\/+$/, '')}/v1/${mount}`;
    this.keyName = options.key;
    this.kekId = `vault-transit:${options.key}`;
    this.namespace = options.namespace;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.#token = options.token;
  }

  async wrap(secret: Buffer, context: string): Promise<WrappedSecret> {
    await this.ensureContextIsBound();
    const ciphertext = await this.encrypt(secret, context);
    // Vault's `vault:vN:...` ciphertext carries its own nonce and tag, so iv and tag stay empty.
    return { kek: this.kekId, iv: '', ct: ciphertext, tag: '' };
  }

  async unwrap(wrapped: WrappedSecret, context: string): Promise<Buffer> {
    if (wrapped.kek !== this.kekId) throw new UnwrapFailed();
    await this.ensureContextIsBound();
    return this.decrypt(wrapped.ct, context);
  }

  private async encrypt(secret: Buffer, context: string): Promise<string> {
    const { status, body } = await this.post('encrypt', {
      plaintext: secret.toString('base64'),
      context: Buffer.from(context, 'utf8').toString('base64'),
    });
    if (status !== 200) throw new Error(`Vault transit encrypt answered HTTP ${status}`);
    const ciphertext = body?.data?.ciphertext;
    if (typeof ciphertext !== 'string' || !ciphertext.startsWith('vault:')) {
      throw new Error('Vault transit encrypt answered without a ciphertext');
    }
    return ciphertext;
  }

  private async decrypt(ciphertext: string, context: string): Promise<Buffer> {
    const { status, body } = await this.post('decrypt', {
      ciphertext,
      context: Buffer.from(context, 'utf8').toString('base64'),
    });
    // 400 is Vault's answer to a wrong context, another key's or a tampered ciphertext.
    if (status === 400) throw new UnwrapFailed();
    if (status !== 200) throw new Error(`Vault transit decrypt answered HTTP ${status}`);
    const plaintext = body?.data?.plaintext;
    if (typeof plaintext !== 'string') throw new Error('Vault transit decrypt answered without a plaintext');
    return Buffer.from(plaintext, 'base64');
  }

  /**
   * Vault silently ignores `context` on a key created without `derived=true`, which would drop the
   * binding this interface promises. Checked once per process (again after an outage): a probe
   * wrapped under one context must not open under another.
   */
  private ensureContextIsBound(): Promise<void> {
    this.contextCheck ??= this.probeContextBinding().catch((error: unknown) => {
      this.contextCheck = undefined;
      throw error;
    });
    return this.contextCheck;
  }

  private async probeContextBinding(): Promise<void> {
    const ciphertext = await this.encrypt(randomBytes(16), 'key-provider-probe:a');
    try {
      await this.decrypt(ciphertext, 'key-provider-probe:b');
    } catch (error) {
      if (error instanceof UnwrapFailed) return;
      throw error;
    }
    throw new Error(`Vault transit key "${this.keyName}" ignores the context: create it with derived=true`);
  }

  private async post(
    operation: 'encrypt' | 'decrypt',
    payload: Record<string, string>,
  ): Promise<{ status: number; body: TransitAnswer | undefined }> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Vault-Token': await this.token(),
    };
    if (this.namespace) headers['X-Vault-Namespace'] = this.namespace;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/${operation}/${encodeURIComponent(this.keyName)}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        // A redirect would resend the token and the plaintext to another origin.
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(`Vault transit ${operation} ${isTimeout(error) ? 'timed out' : 'failed'}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      return { status: response.status, body: undefined };
    }
    try {
      return { status: response.status, body: (await response.json()) as TransitAnswer };
    } catch (error) {
      if (isTimeout(error)) {
        throw new Error(`Vault transit ${operation} timed out`, { cause: error });
      }
      // No cause: a JSON parse error quotes the body, which may hold the plaintext.
      throw new Error(`Vault transit ${operation} answered malformed JSON`);
    }
  }

  private async token(): Promise<string> {
    const token = this.#token;
    return 'value' in token ? token.value : (await readFile(token.file, 'utf8')).trim();
  }
}

// By name, not instanceof: fetch's DOMException may come from another realm (as under Jest).
const isTimeout = (error: unknown) => (error as { name?: unknown } | null)?.name === 'TimeoutError';
