import { randomBytes } from 'node:crypto';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { deleteRedisKeys } from '../../../../test/support/test-app';
import { TEST_REDIS_URL } from '../../../../test/support/services';
import {
  ADMISSION_SCRIPT,
  admissionArguments,
  readAdmissionReply,
  type AdmissionStep,
  type CounterStep,
} from './admission-script';

const MINUTE_MS = 60_000;

describe('admission script on real Redis', () => {
  const prefix = `t_${randomBytes(5).toString('hex')}`;
  let redis: Redis & { admit(keyCount: number, ...rest: Array<string | number>): Promise<unknown> };
  let library: ThrottlerStorageRedisService;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL) as typeof redis;
    redis.defineCommand('admit', { lua: ADMISSION_SCRIPT });
    library = new ThrottlerStorageRedisService(redis);
  });
  afterAll(async () => {
    await deleteRedisKeys(prefix);
    redis.disconnect();
  });

  // The library's key for a tracker, and the hit and block keys it derives from it with the throttler's name.
  const counter = (name: string, limit: number): CounterStep & { libraryKey: string } => {
    const libraryKey = `${prefix}:rl:${name}:${randomBytes(4).toString('hex')}`;
    return {
      kind: 'counter',
      hitKey: `{${libraryKey}:${name}}:hits`,
      blockKey: `{${libraryKey}:${name}}:blocked`,
      limit,
      ttlMs: MINUTE_MS,
      blockMs: MINUTE_MS,
      libraryKey,
    };
  };
  const sut = async (steps: AdmissionStep[]) => {
    const { keys, args } = admissionArguments(steps);
    return readAdmissionReply(steps, await redis.admit(keys.length, ...keys, ...args));
  };

  it('counts, expires and blocks exactly as the throttler storage does', async () => {
    const ours = counter('ip', 2);
    const theirs = counter('ip', 2);
    for (let n = 1; n <= 4; n++) {
      const [outcome] = await sut([ours]);
      const expected = await library.increment(theirs.libraryKey, MINUTE_MS, 2, MINUTE_MS, 'ip');
      expect({ n, record: 'record' in outcome ? outcome.record : undefined }).toEqual({
        n,
        record: expected,
      });
    }
  });

  it('continues a counter the throttler storage started (same keys)', async () => {
    const step = counter('client', 3);
    await library.increment(step.libraryKey, MINUTE_MS, 3, MINUTE_MS, 'client');
    await library.increment(step.libraryKey, MINUTE_MS, 3, MINUTE_MS, 'client');
    const [outcome] = await sut([step]);
    expect('record' in outcome && outcome.record.totalHits).toBe(3);
    expect(await redis.get(step.hitKey)).toBe('3');
  });

  it('stops at a blocked counter: later steps neither run nor spend', async () => {
    const ip = counter('ip', 1);
    const client = counter('client', 10);
    const denyKey = `${prefix}:revoked-jti:${randomBytes(4).toString('hex')}`;
    await sut([ip]);
    const outcomes = await sut([ip, { kind: 'deny_list', key: denyKey }, client]);
    expect(outcomes).toHaveLength(1);
    expect('record' in outcomes[0] && outcomes[0].record.isBlocked).toBe(true);
    expect(await redis.exists(client.hitKey)).toBe(0);
  });

  it('stops at a denied token: the client budget is not spent', async () => {
    const ip = counter('ip', 10);
    const client = counter('client', 10);
    const denyKey = `${prefix}:revoked-jti:${randomBytes(4).toString('hex')}`;
    await redis.set(denyKey, '1', 'EX', 60);
    const outcomes = await sut([ip, { kind: 'deny_list', key: denyKey }, client]);
    expect(
      outcomes.map((o) => ('denied' in o ? { denied: o.denied } : { hits: o.record.totalHits })),
    ).toEqual([{ hits: 1 }, { denied: true }]);
    expect(await redis.exists(client.hitKey)).toBe(0);
  });

  it('runs every step for a token not on the deny list', async () => {
    const ip = counter('ip', 10);
    const client = counter('client', 10);
    const denyKey = `${prefix}:revoked-jti:${randomBytes(4).toString('hex')}`;
    const outcomes = await sut([ip, { kind: 'deny_list', key: denyKey }, client]);
    expect(
      outcomes.map((o) => ('denied' in o ? { denied: o.denied } : { hits: o.record.totalHits })),
    ).toEqual([{ hits: 1 }, { denied: false }, { hits: 1 }]);
  });

  it('checks the token, client and partner entries in order and stops at a suspended partner', async () => {
    const ip = counter('ip', 10);
    const client = counter('client', 10);
    const id = randomBytes(4).toString('hex');
    const deny = (kind: string) => ({ kind: 'deny_list' as const, key: `${prefix}:${kind}:${id}` });
    await redis.set(`${prefix}:denied:partner:${id}`, '1', 'EX', 60);
    const outcomes = await sut([
      ip,
      deny('revoked-jti'),
      deny('denied:client'),
      deny('denied:partner'),
      client,
    ]);
    expect(
      outcomes.map((o) => ('denied' in o ? { denied: o.denied } : { hits: o.record.totalHits })),
    ).toEqual([{ hits: 1 }, { denied: false }, { denied: false }, { denied: true }]);
    expect(await redis.exists(client.hitKey)).toBe(0);
  });
});
