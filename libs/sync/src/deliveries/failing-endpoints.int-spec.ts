import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AppConfig } from '@app/common';
import { TEST_REDIS_URL } from '../../../../test/support/services';
import { FailingEndpoints } from './failing-endpoints';

const NOW_MS = Date.UTC(2026, 10, 30, 12);

describe('FailingEndpoints on Redis', () => {
  const prefix = `t_fail_${randomBytes(5).toString('hex')}`;
  const redis = new Redis(TEST_REDIS_URL);
  const config = {
    redis: { keyPrefix: prefix },
    deliveries: { disableAfterFailingSeconds: 3600 },
  } as AppConfig;
  const sut = new FailingEndpoints(redis, config);

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts from the first failure and forgets it after a success', async () => {
    expect(await sut.failed('sub_a', NOW_MS)).toBe(0);
    expect(await sut.failed('sub_a', NOW_MS + 5_000)).toBe(5_000);
    await sut.succeeded('sub_a');
    expect(await sut.failed('sub_a', NOW_MS + 9_000)).toBe(0);
  });

  // Regression: with deliveries running side by side, a success cleared the key between the
  // failure's SET and GET; the empty read counted as "failing since 1970" and disabled the endpoint.
  it('never reports a long failure when a success of the same endpoint lands in between', async () => {
    for (let i = 0; i < 50; i += 1) {
      const [failingFor] = await Promise.all([sut.failed('sub_b', NOW_MS), sut.succeeded('sub_b')]);
      expect(failingFor).toBe(0);
    }
  });
});
