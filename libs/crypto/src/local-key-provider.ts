import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KeyProvider, UnwrapFailed, WrappedSecret } from './key-provider';

/**
 * KEK from a local key file (32 random bytes, base64). AES-256-GCM, a random 96-bit nonce per
 * wrap, the context as AAD. The KEK id is a fingerprint of the key, so a wrong file is detected.
 */
export class LocalKeyProvider extends KeyProvider {
  readonly name = 'local';
  private readonly kek: Buffer;
  private readonly kekId: string;

  constructor(keyFile: string) {
    super();
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error('LOCAL_KEK_FILE must hold 32 bytes, base64-encoded');
    this.kek = key;
    this.kekId = `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
  }

  wrap(secret: Buffer, context: string): Promise<WrappedSecret> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Promise.resolve({
      kek: this.kekId,
      iv: iv.toString('base64'),
      ct: ct.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    });
  }

  unwrap(wrapped: WrappedSecret, context: string): Promise<Buffer> {
    if (wrapped.kek !== this.kekId) return Promise.reject(new UnwrapFailed());
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, Buffer.from(wrapped.iv, 'base64'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
      return Promise.resolve(
        Buffer.concat([decipher.update(Buffer.from(wrapped.ct, 'base64')), decipher.final()]),
      );
    } catch {
      return Promise.reject(new UnwrapFailed());
    }
  }
}
