import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { KeyProvider, UnwrapFailed, WrappedSecret } from './key-provider';

interface KekVersion {
  id: string;
  key: Buffer;
}

/**
 * KEK from a local key file: one base64 32-byte key per line, the last line current (a keyring,
 * so earlier versions keep unwrapping after a rotation). AES-256-GCM, a random 96-bit nonce per
 * wrap, the context as AAD. A version's id is a fingerprint of its key, so a wrong file is detected.
 */
export class LocalKeyProvider extends KeyProvider {
  readonly name = 'local';
  private versions = new Map<string, Buffer>();
  private current!: KekVersion;
  private loadedStamp = '';

  constructor(private readonly keyFile: string) {
    super();
    this.load();
  }

  wrap(secret: Buffer, context: string): Promise<WrappedSecret> {
    // Another process may have rotated: always wrap with the keyring's current version.
    if (this.stamp() !== this.loadedStamp) this.load();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Promise.resolve({
      kek: this.current.id,
      iv: iv.toString('base64'),
      ct: ct.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    });
  }

  unwrap(wrapped: WrappedSecret, context: string): Promise<Buffer> {
    // Another process may have rotated: re-read the keyring once before giving up on an id.
    if (!this.versions.has(wrapped.kek)) this.load();
    const kek = this.versions.get(wrapped.kek);
    if (!kek) return Promise.reject(new UnwrapFailed());
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(wrapped.iv, 'base64'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
      return Promise.resolve(
        Buffer.concat([decipher.update(Buffer.from(wrapped.ct, 'base64')), decipher.final()]),
      );
    } catch {
      return Promise.reject(new UnwrapFailed());
    }
  }

  /** Appends a fresh key to the keyring (atomically, mode 0600) and makes it current. */
  override rotate(): Promise<void> {
    const lines = readFileSync(this.keyFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    lines.push(randomBytes(32).toString('base64'));
    const next = `${this.keyFile}.next`;
    writeFileSync(next, `${lines.join('\n')}\n`, { mode: 0o600 });
    renameSync(next, this.keyFile);
    this.load();
    return Promise.resolve();
  }

  /** The id of the version that wraps now. */
  currentKekId(): string {
    return this.current.id;
  }

  private stamp(): string {
    const stat = statSync(this.keyFile);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  }

  private load(): void {
    this.loadedStamp = this.stamp();
    const lines = readFileSync(this.keyFile, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (lines.length === 0) throw new Error('LOCAL_KEK_FILE is empty');
    const versions = new Map<string, Buffer>();
    let current: KekVersion | undefined;
    for (const line of lines) {
      const key = Buffer.from(line, 'base64');
      if (key.length !== 32)
        throw new Error('LOCAL_KEK_FILE must hold 32-byte keys, base64-encoded, one per line');
      current = { id: `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`, key };
      versions.set(current.id, key);
    }
    this.versions = versions;
    this.current = current!;
  }
}
