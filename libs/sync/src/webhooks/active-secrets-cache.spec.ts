import { ManualClock } from '@app/common';
import { ActiveSecretsCache } from './active-secrets-cache';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

describe('ActiveSecretsCache', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 10));
  let sut: ActiveSecretsCache;

  beforeEach(() => {
    sut = new ActiveSecretsCache(clock, { ttlMs: 30_000, maxPartners: 2 });
  });

  it('loads once for concurrent misses and serves hits until the TTL ends', async () => {
    const load = jest.fn(() => Promise.resolve(['whsec_a']));
    const [a, b] = await Promise.all([sut.get('prt_1', load), sut.get('prt_1', load)]);
    clock.advance(29_999);
    const c = await sut.get('prt_1', load);
    expect(load).toHaveBeenCalledTimes(1);
    expect([a.secrets, b.secrets, c.secrets]).toEqual([['whsec_a'], ['whsec_a'], ['whsec_a']]);
  });

  it('reads again once the TTL has passed (a revoke in another process takes effect by then)', async () => {
    const load = jest
      .fn()
      .mockResolvedValueOnce(['whsec_old', 'whsec_new'])
      .mockResolvedValueOnce(['whsec_new']);
    await sut.get('prt_1', load);
    clock.advance(30_000);
    expect((await sut.get('prt_1', load)).secrets).toEqual(['whsec_new']);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps at most maxPartners, forgetting the least recently used', async () => {
    const load = jest.fn((id: string) => Promise.resolve([id]));
    await sut.get('prt_1', () => load('1'));
    await sut.get('prt_2', () => load('2'));
    await sut.get('prt_1', () => load('1')); // prt_1 is now the most recently used
    await sut.get('prt_3', () => load('3'));
    expect(sut.size).toBe(2);
    await sut.get('prt_1', () => load('1'));
    await sut.get('prt_2', () => load('2'));
    expect(load.mock.calls.map(([id]) => id)).toEqual(['1', '2', '3', '2']);
  });

  it('drops a partner at once when invalidated', async () => {
    const load = jest.fn().mockResolvedValueOnce(['whsec_old']).mockResolvedValueOnce([]);
    await sut.get('prt_1', load);
    sut.invalidate('prt_1');
    expect((await sut.get('prt_1', load)).secrets).toEqual([]);
  });

  it('does not keep a load that began before an invalidation', async () => {
    const slow = deferred<string[]>();
    const first = sut.get('prt_1', () => slow.promise);
    sut.invalidate('prt_1');
    const fresh = jest.fn(() => Promise.resolve(['whsec_new']));
    const second = sut.get('prt_1', fresh);
    slow.resolve(['whsec_revoked']);
    await first;
    expect((await second).secrets).toEqual(['whsec_new']);
    expect((await sut.get('prt_1', fresh)).secrets).toEqual(['whsec_new']);
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failed load', async () => {
    const load = jest
      .fn()
      .mockRejectedValueOnce(new Error('database down'))
      .mockResolvedValueOnce(['whsec_a']);
    await expect(sut.get('prt_1', load)).rejects.toThrow('database down');
    expect((await sut.get('prt_1', load)).secrets).toEqual(['whsec_a']);
  });
});
