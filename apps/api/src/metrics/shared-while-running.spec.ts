import { sharedWhileRunning } from './shared-while-running';

describe('sharedWhileRunning', () => {
  it('lets calls made while a load runs share it, and loads again once it settled', async () => {
    let loads = 0;
    const sut = sharedWhileRunning(async () => {
      loads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return loads;
    });
    const together = await Promise.all([sut(), sut(), sut()]);
    expect(together).toEqual([1, 1, 1]);
    expect(await sut()).toBe(2);
  });

  it('loads again after a failure instead of repeating it', async () => {
    let calls = 0;
    const sut = sharedWhileRunning(() => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('down')) : Promise.resolve('up');
    });
    await expect(sut()).rejects.toThrow('down');
    await expect(sut()).resolves.toBe('up');
  });
});
