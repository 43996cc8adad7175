import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig, Clock, REDIS } from '@app/common';

/**
 * The deny list of revoked access tokens (by `jti`), in Redis so every API process honours a
 * revocation at once. Entries live until the token would have expired anyway.
 */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async revoke(jti: string, expiresAtSeconds: number): Promise<void> {
    const ttl = Math.max(1, expiresAtSeconds - this.clock.nowSeconds() + 60);
    await this.redis.set(this.keyFor(jti), '1', 'EX', ttl);
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.exists(this.keyFor(jti))) === 1;
  }

  /** Records a one-time value (a client assertion's jti); false when it was seen before. */
  async firstUse(namespace: string, value: string, ttlSeconds: number): Promise<boolean> {
    const key = `${this.config.redis.keyPrefix}:once:${namespace}:${value}`;
    return (await this.redis.set(key, '1', 'EX', Math.max(1, ttlSeconds), 'NX')) === 'OK';
  }

  /** The deny-list entry of a token; the API gateway checks it in the same script as its rate limits. */
  keyFor(jti: string): string {
    return `${this.config.redis.keyPrefix}:revoked-jti:${jti}`;
  }
}
