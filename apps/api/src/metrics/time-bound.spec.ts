import { ScrapeTimedOut, timeBound } from './time-bound';

describe('timeBound', () => {
  afterEach(() => jest.useRealTimers());

  it('answers what the work answers in time', async () => {
    await expect(timeBound(Promise.resolve(42), 1000)).resolves.toBe(42);
    await expect(timeBound(Promise.reject(new RangeError('down')), 1000)).rejects.toBeInstanceOf(RangeError);
  });

  it('gives up on work that does not settle in time', async () => {
    jest.useFakeTimers();
    const bounded = timeBound(new Promise<never>(() => undefined), 2500);
    jest.advanceTimersByTime(2500);
    await expect(bounded).rejects.toBeInstanceOf(ScrapeTimedOut);
  });
});
