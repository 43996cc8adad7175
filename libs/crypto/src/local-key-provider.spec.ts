import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnwrapFailed } from './key-provider';
import { LocalKeyProvider } from './local-key-provider';

function keyFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kek-')), 'kek.key');
  writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
  return path;
}

describe('LocalKeyProvider', () => {
  const sut = new LocalKeyProvider(keyFile());

  it('round-trips a secret under the same context', async () => {
    const secret = randomBytes(32);
    const wrapped = await sut.wrap(secret, 'signing-key:k1');
    expect(Buffer.from(wrapped.ct, 'base64').equals(secret)).toBe(false);
    await expect(sut.unwrap(wrapped, 'signing-key:k1')).resolves.toEqual(secret);
  });

  it('refuses a secret moved to another context', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'admin-totp:adm_A');
    await expect(sut.unwrap(wrapped, 'admin-totp:adm_B')).rejects.toBeInstanceOf(UnwrapFailed);
  });

  it('refuses a tampered ciphertext', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    const ct = Buffer.from(wrapped.ct, 'base64');
    ct[0] ^= 1;
    await expect(sut.unwrap({ ...wrapped, ct: ct.toString('base64') }, 'ctx')).rejects.toBeInstanceOf(
      UnwrapFailed,
    );
  });

  it('refuses a secret wrapped by another key file', async () => {
    const other = new LocalKeyProvider(keyFile());
    const wrapped = await other.wrap(randomBytes(16), 'ctx');
    await expect(sut.unwrap(wrapped, 'ctx')).rejects.toBeInstanceOf(UnwrapFailed);
  });

  it('refuses a key file of the wrong length', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kek-')), 'short.key');
    writeFileSync(path, randomBytes(16).toString('base64'));
    expect(() => new LocalKeyProvider(path)).toThrow('32-byte keys');
  });
});

describe('LocalKeyProvider rotation', () => {
  it('wraps with the new version after a rotation and still unwraps what the old one wrapped', async () => {
    const path = keyFile();
    const sut = new LocalKeyProvider(path);
    const before = await sut.wrap(Buffer.from('data key'), 'ctx');
    await sut.rotate();
    const after = await sut.wrap(Buffer.from('data key'), 'ctx');
    expect(after.kek).not.toBe(before.kek);
    await expect(sut.unwrap(before, 'ctx')).resolves.toEqual(Buffer.from('data key'));
    await expect(sut.unwrap(after, 'ctx')).resolves.toEqual(Buffer.from('data key'));
  });

  it('lets another process holding the same key file unwrap the new version', async () => {
    const path = keyFile();
    const rotating = new LocalKeyProvider(path);
    const other = new LocalKeyProvider(path);
    await rotating.rotate();
    const wrapped = await rotating.wrap(Buffer.from('x'), 'ctx');
    await expect(other.unwrap(wrapped, 'ctx')).resolves.toEqual(Buffer.from('x'));
  });
});
