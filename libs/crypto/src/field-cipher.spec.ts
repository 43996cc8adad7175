import { randomBytes } from 'node:crypto';
import { CiphertextRejected, openField, sealField } from './field-cipher';

describe('field cipher', () => {
  const key = randomBytes(32);
  const aad = 'org_A:mbr_A:dateOfBirth:1';

  it('round-trips and never stores the plaintext', () => {
    const plaintext = Buffer.from('"1979-02-28"');
    const sealed = sealField(key, plaintext, aad);
    expect(sealed.includes(plaintext)).toBe(false);
    expect(openField(key, sealed, aad)).toEqual(plaintext);
  });

  it('uses a fresh nonce for every value', () => {
    const a = sealField(key, Buffer.from('same'), aad);
    const b = sealField(key, Buffer.from('same'), aad);
    expect(a.equals(b)).toBe(false);
  });

  it.each([
    ['another member', 'org_A:mbr_B:dateOfBirth:1'],
    ['another field', 'org_A:mbr_A:givenName:1'],
    ['another organization', 'org_B:mbr_A:dateOfBirth:1'],
    ['another key version', 'org_A:mbr_A:dateOfBirth:2'],
  ])('refuses a ciphertext moved to %s', (_name, otherAad) => {
    const sealed = sealField(key, Buffer.from('x'), aad);
    expect(() => openField(key, sealed, otherAad)).toThrow(CiphertextRejected);
  });

  it('refuses an edited ciphertext, a truncated one and the wrong key', () => {
    const sealed = sealField(key, Buffer.from('value'), aad);
    const edited = Buffer.from(sealed);
    edited[15] ^= 0xff;
    expect(() => openField(key, edited, aad)).toThrow(CiphertextRejected);
    expect(() => openField(key, sealed.subarray(0, 20), aad)).toThrow(CiphertextRejected);
    expect(() => openField(randomBytes(32), sealed, aad)).toThrow(CiphertextRejected);
  });
});
