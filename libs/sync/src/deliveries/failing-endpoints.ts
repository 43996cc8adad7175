import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig, REDIS } from '@app/common';

/**
 * When each subscription's deliveries started failing without a success since: one Redis key per
 * subscription (ids and a time only), set by the first failure, cleared by a success.
 */
@Injectable()
export class FailingEndpoints {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  /** Records a failure at `nowMs`; answers how long the endpoint has been failing. */
  async failed(subscriptionId: string, nowMs: number): Promise<number> {
    const key = this.key(subscriptionId);
    // Kept a little past the window, so a forgotten key does not linger for good.
    const ttlMs = (this.config.deliveries.disableAfterFailingSeconds + 86_400) * 1000;
    await this.redis.set(key, String(nowMs), 'PX', ttlMs, 'NX');
    const since = Number(await this.redis.get(key));
    return Number.isFinite(since) ? Math.max(0, nowMs - since) : 0;
  }

  async succeeded(subscriptionId: string): Promise<void> {
    await this.redis.del(this.key(subscriptionId));
  }

  private key(subscriptionId: string): string {
    return `${this.config.redis.keyPrefix}:delivery-failing-since:${subscriptionId}`;
  }
}
