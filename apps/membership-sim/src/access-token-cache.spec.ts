import { ManualClock } from '@app/common';
import { AccessTokenCache } from './access-token-cache';

describe('AccessTokenCache', () => {
  let clock: ManualClock;
  let issued: number;
  let sut: AccessTokenCache;

  beforeEach(() => {
    clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    issued = 0;
    sut = new AccessTokenCache(() => {
      issued += 1;
      return Promise.resolve({ accessToken: `token-${issued}`, expiresInSeconds: 900 });
    }, clock);
  });

  it('reuses the token while it is fresh', async () => {
    expect(await sut.get()).toBe('token-1');
    clock.advance(800_000);
    expect(await sut.get()).toBe('token-1');
    expect(issued).toBe(1);
  });

  it('refreshes a minute before expiry', async () => {
    await sut.get();
    clock.advance(840_000);
    expect(await sut.get()).toBe('token-2');
  });

  it('refreshes a short-lived token at half its lifetime', async () => {
    sut = new AccessTokenCache(
      () => Promise.resolve({ accessToken: `t${++issued}`, expiresInSeconds: 10 }),
      clock,
    );
    await sut.get();
    clock.advance(4_999);
    expect(await sut.get()).toBe('t1');
    clock.advance(1);
    expect(await sut.get()).toBe('t2');
  });

  it('shares one fetch between concurrent callers', async () => {
    const tokens = await Promise.all([sut.get(), sut.get(), sut.get()]);
    expect(tokens).toEqual(['token-1', 'token-1', 'token-1']);
    expect(issued).toBe(1);
  });

  it('fetches a new token after invalidate', async () => {
    await sut.get();
    sut.invalidate();
    expect(await sut.get()).toBe('token-2');
  });

  it('fetches again after a failed fetch', async () => {
    let fail = true;
    sut = new AccessTokenCache(
      () =>
        fail
          ? Promise.reject(new Error('token endpoint down'))
          : Promise.resolve({ accessToken: 'ok', expiresInSeconds: 900 }),
      clock,
    );
    await expect(sut.get()).rejects.toThrow('token endpoint down');
    fail = false;
    expect(await sut.get()).toBe('ok');
  });
});
