import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyProvider, openField, sealField } from '@app/crypto';
import { IdempotencyStore } from './idempotency.store';
import type { StoredResponse } from './stored-response';

// A few days' keys: today's for sealing, the retention window's for replays.
const CACHED_KEYS = 8;

/**
 * Seals stored answers with AES-256-GCM under a data key per UTC day, wrapped by the KEK and kept
 * in `idempotency_data_key` (re-wrapped by a KEK rotation, see IdempotencyDataKeysOwner). The sweep
 * destroys a day's key once its records are gone, so an expired answer cannot be read even from a
 * backup taken with the key table of a later day.
 */
@Injectable()
export class IdempotencyResponseCipher {
  private readonly keys = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly keyProvider: KeyProvider,
  ) {}

  async seal(
    aad: string,
    response: StoredResponse,
    now: Date,
  ): Promise<{ dataKeyId: string; sealed: Buffer }> {
    const dataKeyId = dataKeyIdOf(now);
    const key = await this.key(dataKeyId, now);
    const sealed = sealField(key, Buffer.from(JSON.stringify(response), 'utf8'), `${aad}:${dataKeyId}`);
    return { dataKeyId, sealed };
  }

  async open(aad: string, dataKeyId: string, sealed: Buffer): Promise<StoredResponse> {
    const key = await this.key(dataKeyId, null);
    return JSON.parse(openField(key, sealed, `${aad}:${dataKeyId}`).toString('utf8')) as StoredResponse;
  }

  /** The unwrapped key of a day, created when sealing on a day that has none yet. */
  private key(id: string, createAt: Date | null): Promise<Buffer> {
    let key = this.keys.get(id);
    if (!key) {
      key = this.load(id, createAt);
      key.catch(() => this.keys.delete(id));
      if (this.keys.size >= CACHED_KEYS) this.keys.delete(this.keys.keys().next().value as string);
      this.keys.set(id, key);
    }
    return key;
  }

  private async load(id: string, createAt: Date | null): Promise<Buffer> {
    const context = dataKeyContext(id);
    const existing = await this.store.findDataKey(id);
    if (existing) return this.keyProvider.unwrap(existing, context);
    if (!createAt) throw new Error(`idempotency data key ${id} is missing`);
    await this.store.insertDataKey(id, await this.keyProvider.wrap(randomBytes(32), context), createAt);
    // Another process may have inserted first: everyone uses the stored key.
    const winner = await this.store.findDataKey(id);
    if (!winner) throw new Error(`idempotency data key ${id} was not stored`);
    return this.keyProvider.unwrap(winner, context);
  }
}

/** The UTC day whose key seals an answer stored at `at`. */
export function dataKeyIdOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Binds a wrapped data key to its row: moved to another day, it fails to unwrap. */
export function dataKeyContext(id: string): string {
  return `idempotency-data-key:${id}`;
}
