import { isOutboxId, MonotonicOutboxIds, outboxIdOf } from './outbox-id';

describe('outbox ids', () => {
  it.each([
    [0, 0n, 'obx_00000000000000000000000000'],
    [1, 0n, 'obx_00000000010000000000000000'],
    [0, 31n, 'obx_0000000000000000000000000Z'],
    [Date.UTC(2026, 10, 30), (1n << 80n) - 1n, 'obx_01M8MW0N00ZZZZZZZZZZZZZZZZ'],
  ])('encodes millisecond %p and random %p as %p', (ms, random, expected) => {
    expect(outboxIdOf(ms, random)).toBe(expected);
    expect(isOutboxId(expected)).toBe(true);
  });

  it.each([
    ['a member id', 'mbr_00000000000000000000000000'],
    ['a short id', 'obx_0000'],
    ['letters outside Crockford base32', 'obx_0000000000000000000000000U'],
    ['lower case', 'obx_0000000000000000000000000z'],
    ['not a string', 42],
  ])('refuses %s as an outbox id', (_case, value) => {
    expect(isOutboxId(value)).toBe(false);
  });

  it('sorts later milliseconds after earlier ones whatever the random bits', () => {
    const sut = new MonotonicOutboxIds(
      jest
        .fn()
        .mockReturnValueOnce((1n << 80n) - 1n)
        .mockReturnValueOnce(0n),
    );
    const first = sut.next(1000);
    const second = sut.next(1001);
    expect(first < second).toBe(true);
  });

  it('counts up within one millisecond, and when the clock steps back', () => {
    const sut = new MonotonicOutboxIds(() => 5n);
    const ids = [sut.next(2000), sut.next(2000), sut.next(1999), sut.next(2000)];
    expect(ids).toEqual([
      outboxIdOf(2000, 5n),
      outboxIdOf(2000, 6n),
      outboxIdOf(2000, 7n),
      outboxIdOf(2000, 8n),
    ]);
  });

  it('moves to the next millisecond when the random part is exhausted', () => {
    const sut = new MonotonicOutboxIds(() => (1n << 80n) - 1n);
    sut.next(3000);
    expect(sut.next(3000)).toBe(outboxIdOf(3001, 0n));
  });

  it('draws fresh random bits for each new millisecond', () => {
    const sut = new MonotonicOutboxIds();
    const a = sut.next(4000).slice(14);
    const b = sut.next(4001).slice(14);
    expect(a).not.toBe(b);
  });
});
