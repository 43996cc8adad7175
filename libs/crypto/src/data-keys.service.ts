import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyProvider, type WrappedSecret } from './key-provider';

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 50_000;

export interface NewDataKey {
  plaintext: Buffer;
  wrapped: WrappedSecret;
}

/**
 * Per-member data keys: generated here, wrapped by the KEK, bound to the member by the wrap
 * context. Unwrapped keys are cached in memory with a TTL and a size bound; destroying a
 * member's wrapped key (crypto-shredding) makes its ciphertext unreadable everywhere.
 */
@Injectable()
export class DataKeysService {
  private readonly cache = new Map<string, { version: number; key: Buffer; until: number }>();

  constructor(private readonly keyProvider: KeyProvider) {}

  async create(memberId: string, version: number): Promise<NewDataKey> {
    const plaintext = randomBytes(32);
    const wrapped = await this.keyProvider.wrap(plaintext, context(memberId, version));
    this.remember(memberId, version, plaintext);
    return { plaintext, wrapped };
  }

  async unwrap(memberId: string, version: number, wrapped: WrappedSecret): Promise<Buffer> {
    const hit = this.cache.get(memberId);
    if (hit && hit.version === version && hit.until > Date.now()) return hit.key;
    const key = await this.keyProvider.unwrap(wrapped, context(memberId, version));
    this.remember(memberId, version, key);
    return key;
  }

  /** Re-wraps a data key under the provider's current KEK (key rotation); the data key itself is unchanged. */
  async rewrap(memberId: string, version: number, wrapped: WrappedSecret): Promise<WrappedSecret> {
    const key = await this.keyProvider.unwrap(wrapped, context(memberId, version));
    return this.keyProvider.wrap(key, context(memberId, version));
  }

  forget(memberId: string): void {
    this.cache.delete(memberId);
  }

  private remember(memberId: string, version: number, key: Buffer): void {
    // Oldest-inserted first out: a simple bound that keeps memory flat under a full scan.
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(memberId, { version, key, until: Date.now() + CACHE_TTL_MS });
  }
}

function context(memberId: string, version: number): string {
  return `member-data-key:${memberId}:${version}`;
}
