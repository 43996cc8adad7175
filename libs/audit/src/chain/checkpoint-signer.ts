import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface Checkpoint {
  seq: number;
  hash: string;
  time: string;
  keyId: string;
  signature: string;
}

/** The exact bytes a checkpoint signature covers. */
export function checkpointMessage(seq: number, hashHex: string, time: string): Buffer {
  return Buffer.from(`member-sync audit checkpoint v1\n${seq}\n${hashHex}\n${time}`, 'utf8');
}

/**
 * Ed25519 signatures over {sequence, hash, time}. The private key lives in a file outside the
 * database, so whoever can rewrite the audit table cannot forge the checkpoints that expose it.
 */
export class CheckpointSigner {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(keyFile: string) {
    this.privateKey = createPrivateKey(readFileSync(keyFile));
    if (this.privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error('AUDIT_SIGNING_KEY_FILE must hold an Ed25519 private key');
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = createHash('sha256')
      .update(this.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex')
      .slice(0, 16);
  }

  sign(seq: number, hash: Buffer, time: Date): Checkpoint {
    const hashHex = hash.toString('hex');
    const iso = time.toISOString();
    return {
      seq,
      hash: hashHex,
      time: iso,
      keyId: this.keyId,
      signature: sign(null, checkpointMessage(seq, hashHex, iso), this.privateKey).toString('base64'),
    };
  }

  verify(checkpoint: Checkpoint): boolean {
    if (checkpoint.keyId !== this.keyId) return false;
    try {
      return verify(
        null,
        checkpointMessage(checkpoint.seq, checkpoint.hash, checkpoint.time),
        this.publicKey,
        Buffer.from(checkpoint.signature, 'base64'),
      );
    } catch {
      return false;
    }
  }
}
