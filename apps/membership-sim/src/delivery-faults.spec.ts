import { DeliveryFaults } from './delivery-faults';

describe('DeliveryFaults', () => {
  let sut: DeliveryFaults;
  beforeEach(() => {
    sut = new DeliveryFaults();
  });

  const answers = (n: number) => Array.from({ length: n }, () => sut.next()?.status ?? 200);

  it('accepts every delivery by default', () => {
    expect(answers(3)).toEqual([200, 200, 200]);
  });

  it('fails three times, then accepts', () => {
    sut.set({ status: 503, times: 3 });
    expect(answers(5)).toEqual([503, 503, 503, 200, 200]);
    expect(sut.current()).toBeNull();
  });

  it('always fails while times is null', () => {
    sut.set({ status: 500, times: null });
    expect(answers(50).every((s) => s === 500)).toBe(true);
    expect(sut.current()).toEqual({ status: 500, remaining: null });
  });

  it('answers 410 Gone when told to', () => {
    sut.set({ status: 410, times: 1 });
    expect(answers(2)).toEqual([410, 200]);
  });

  it('carries Retry-After with the fault', () => {
    sut.set({ status: 429, times: 1, retryAfterSeconds: 7 });
    expect(sut.next()).toEqual({ status: 429, retryAfterSeconds: 7 });
    expect(sut.next()).toBeNull();
  });

  it('is reset by a 2xx status or null', () => {
    sut.set({ status: 500, times: null });
    sut.set({ status: 200, times: null });
    expect(sut.next()).toBeNull();
    sut.set({ status: 500, times: null });
    sut.set(null);
    expect(sut.next()).toBeNull();
  });

  it.each([
    [{ status: 302, times: 1 }],
    [{ status: 600, times: 1 }],
    [{ status: 500, times: -1 }],
    [{ status: 500, times: 1.5 }],
  ])('refuses the setting %j', (setting) => {
    expect(() => sut.set(setting)).toThrow(RangeError);
  });
});
