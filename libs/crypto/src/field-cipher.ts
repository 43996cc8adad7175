import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT_V1 = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A ciphertext failed authentication: edited, moved to another row or field, or its key is gone. */
export class CiphertextRejected extends Error {
  constructor() {
    super('A field ciphertext failed authentication.');
  }
}

/**
 * AES-256-GCM from node:crypto with a random 96-bit nonce per value. Stored layout:
 * version byte (0x01) ‖ nonce (12) ‖ ciphertext ‖ tag (16). `aad` binds the value to its place.
 */
export function sealField(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_V1]), iv, body, cipher.getAuthTag()]);
}

export function openField(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) throw new CiphertextRejected();
  try {
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new CiphertextRejected();
  }
}
