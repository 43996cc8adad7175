import { planDeliveries, type DeliveryPlanOptions } from './delivery-plan';

const base: DeliveryPlanOptions = { seed: 7, dropRate: 0, duplicateRate: 0, reorder: false };
const eventsSent = (plan: ReturnType<typeof planDeliveries>) => plan.sends.map((s) => s.event);

describe('planDeliveries', () => {
  it('sends every event once, in commit order, when told nothing else', () => {
    const sut = planDeliveries(5, base);
    expect(sut.sends).toEqual([0, 1, 2, 3, 4].map((event) => ({ event, duplicate: false })));
    expect(sut.dropped).toEqual([]);
    expect(sut.duplicated).toEqual([]);
  });

  it.each([
    [10_000, 0.2, 0.05, 2_000, 500],
    [1_000, 0.25, 0.1, 250, 100],
    [7, 0.5, 0.5, 4, 3],
    [100, 1, 0.5, 100, 0],
    [0, 0.2, 0.05, 0, 0],
  ])(
    'of %i events with dropRate %f and duplicateRate %f drops exactly %i and duplicates exactly %i',
    (count, dropRate, duplicateRate, dropped, duplicated) => {
      const sut = planDeliveries(count, { ...base, dropRate, duplicateRate, reorder: true });
      expect(sut.dropped).toHaveLength(dropped);
      expect(sut.duplicated).toHaveLength(duplicated);
      expect(sut.sends).toHaveLength(count - dropped + duplicated);
      expect(new Set(eventsSent(sut)).size + dropped).toBe(count);
    },
  );

  it('never sends a dropped event and sends each duplicated event exactly twice', () => {
    const sut = planDeliveries(2_000, { ...base, dropRate: 0.2, duplicateRate: 0.05, reorder: true });
    const times = new Map<number, number>();
    for (const e of eventsSent(sut)) times.set(e, (times.get(e) ?? 0) + 1);
    for (const e of sut.dropped) expect(times.has(e)).toBe(false);
    for (const e of sut.duplicated) expect(times.get(e)).toBe(2);
    expect([...times.values()].filter((n) => n === 2)).toHaveLength(sut.duplicated.length);
    expect(sut.sends.filter((s) => s.duplicate)).toHaveLength(sut.duplicated.length);
  });

  it('marks the later copy of an event as the duplicate', () => {
    const sut = planDeliveries(500, { ...base, duplicateRate: 0.3, reorder: true });
    const seen = new Set<number>();
    for (const send of sut.sends) {
      expect(send.duplicate).toBe(seen.has(send.event));
      seen.add(send.event);
    }
  });

  it('is deterministic: the same seed gives the same plan', () => {
    const options = { ...base, dropRate: 0.2, duplicateRate: 0.05, reorder: true };
    expect(planDeliveries(3_000, options)).toEqual(planDeliveries(3_000, options));
  });

  it('chooses other events for another seed', () => {
    const options = { ...base, dropRate: 0.2 };
    expect(planDeliveries(3_000, options).dropped).not.toEqual(
      planDeliveries(3_000, { ...options, seed: 8 }).dropped,
    );
  });

  it('keeps the drops when only the duplicate rate changes', () => {
    expect(planDeliveries(1_000, { ...base, dropRate: 0.2, duplicateRate: 0 }).dropped).toEqual(
      planDeliveries(1_000, { ...base, dropRate: 0.2, duplicateRate: 0.3 }).dropped,
    );
  });

  it('reorders only within small windows', () => {
    const window = 4;
    const sut = planDeliveries(1_000, { ...base, reorder: true, reorderWindow: window });
    const sent = eventsSent(sut);
    expect(sent).not.toEqual([...sent].sort((a, b) => a - b));
    sent.forEach((event, position) => expect(Math.abs(event - position)).toBeLessThan(window));
  });

  it.each([2, 3, 5, 17])('always changes the order of %i events when reorder is true', (count) => {
    for (let seed = 0; seed < 50; seed++) {
      const sent = eventsSent(planDeliveries(count, { ...base, seed, reorder: true }));
      expect(sent).not.toEqual([...sent].sort((a, b) => a - b));
    }
  });

  it.each([
    [{ dropRate: -0.1 }],
    [{ dropRate: 1.1 }],
    [{ duplicateRate: Number.NaN }],
    [{ reorderWindow: 1 }],
    [{ seed: -1 }],
  ])('refuses %j', (bad) => {
    expect(() => planDeliveries(10, { ...base, ...bad })).toThrow(RangeError);
  });
});
