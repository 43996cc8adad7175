import { prng } from '../support/prng';
import { kindOf, MIX, MIX_BATCH_SIZE, MixTally, type MixKind } from './mix';

describe('the mixed load request mix', () => {
  it('is 70% reads, 20% single updates and 10% batches of 50', () => {
    expect(MIX).toEqual({ read: 0.7, update: 0.2, batch: 0.1 });
    expect(MIX_BATCH_SIZE).toBe(50);
  });

  it('splits draws at 0.7 and 0.9', () => {
    expect(kindOf(0)).toBe('read');
    expect(kindOf(0.6999)).toBe('read');
    expect(kindOf(0.7)).toBe('update');
    expect(kindOf(0.8999)).toBe('update');
    expect(kindOf(0.9)).toBe('batch');
    expect(kindOf(0.99999)).toBe('batch');
  });

  it('refuses a draw outside [0, 1)', () => {
    for (const bad of [-0.1, 1, 1.5, Number.NaN]) expect(() => kindOf(bad)).toThrow(RangeError);
  });

  it('gives each kind its share of 100,000 seeded draws within half a percentage point', () => {
    const random = prng(20261201);
    const counts: Record<MixKind, number> = { read: 0, update: 0, batch: 0 };
    const draws = 100_000;
    for (let i = 0; i < draws; i++) counts[kindOf(random())]++;
    expect(Math.abs(counts.read / draws - 0.7)).toBeLessThan(0.005);
    expect(Math.abs(counts.update / draws - 0.2)).toBeLessThan(0.005);
    expect(Math.abs(counts.batch / draws - 0.1)).toBeLessThan(0.005);
  });

  it('draws the same sequence of kinds for the same seed (a run is reproducible)', () => {
    const a = prng(7);
    const b = prng(7);
    const kinds = (r: () => number) => Array.from({ length: 50 }, () => kindOf(r()));
    expect(kinds(a)).toEqual(kinds(b));
  });
});

describe('MixTally', () => {
  it('reports throughput, latency and failures overall and per kind', () => {
    const tally = new MixTally();
    for (let i = 1; i <= 7; i++) tally.ok('read', i);
    tally.ok('update', 20);
    tally.ok('update', 30);
    tally.failed('update');
    tally.ok('batch', 100);
    const stats = tally.stats(2);
    expect(tally.count).toBe(11);
    expect(stats.byKind.read).toMatchObject({ requests: 7, perSecond: 4, p50: 4, max: 7, errors: 0 });
    expect(stats.byKind.update).toMatchObject({ requests: 2, perSecond: 1, errors: 1 });
    expect(stats.byKind.batch).toMatchObject({ requests: 1, p99: 100, errors: 0 });
    // Overall: successful requests of every kind per second; failures counted apart.
    expect(stats.overall).toMatchObject({ requests: 10, perSecond: 5, errors: 1, max: 100 });
  });

  it('has no latency for a kind that never answered', () => {
    const stats = new MixTally().stats(1);
    expect(stats.byKind.batch.requests).toBe(0);
    expect(Number.isNaN(stats.byKind.batch.p50)).toBe(true);
  });
});
