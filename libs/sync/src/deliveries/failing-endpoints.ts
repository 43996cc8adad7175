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
    // One MULTI: a success of another delivery (deliveries run side by side) cannot clear the key
    // between the set and the read; a read of nothing counted as "failing since 1970" and disabled
    // a healthy endpoint.
    const replies = await this.redis.multi().set(key, String(nowMs), 'PX', ttlMs, 'NX').get(key).exec();
    return failingForMs(replies?.[1]?.[1], nowMs);
  }

  async succeeded(subscriptionId: string): Promise<void> {
    await this.redis.del(this.key(subscriptionId));
  }

  private key(subscriptionId: string): string {
    return `${this.config.redis.keyPrefix}:delivery-failing-since:${subscriptionId}`;
  }
}

/** How long an endpoint has been failing, from the stored start; nothing stored (or garbage) is not failing. */
export function failingForMs(stored: unknown, nowMs: number): number {
  const since = typeof stored === 'string' && stored !== '' ? Number(stored) : Number.NaN;
  return Number.isFinite(since) ? Math.max(0, nowMs - since) : 0;
}
