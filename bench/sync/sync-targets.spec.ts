import { judgeSync, SYNC_TARGETS, verdictLines, type SyncFigures } from './sync-targets';

const passing: SyncFigures = {
  single: { apiPerSecond: 1200, apiP99: 20, apiErrors: 0, rawPerSecond: 1000, rawP99: 40 },
  batch: { apiUpdatesPerSecond: 3000, apiErrors: 0, rawUpdatesPerSecond: 10000 },
  convergence: { converged: true, seconds: 30 },
};

const verdict = (figures: SyncFigures, target: string) => judgeSync(figures).find((v) => v.target === target);

describe('judgeSync (issue 10 targets)', () => {
  it('passes every target of a run that meets them, with the raw baselines beside the shares', () => {
    const verdicts = judgeSync(passing);
    expect(verdicts.map((v) => [v.target, v.pass])).toEqual([
      ['singleShareOfRaw', true],
      ['singleP99Ms', true],
      ['singleErrors', true],
      ['batchShareOfRaw', true],
      ['batchErrors', true],
      ['convergence', true],
    ]);
    expect(verdicts[0]).toMatchObject({ value: 1.2, baseline: 1000, limit: SYNC_TARGETS.singleShareOfRaw });
    expect(verdicts[3]).toMatchObject({ value: 0.3, baseline: 10000 });
    expect(verdicts.every((v) => v.nextLever === undefined)).toBe(true);
  });

  it.each([
    ['singleShareOfRaw', { ...passing, single: { ...passing.single, apiPerSecond: 999 } }],
    ['singleP99Ms', { ...passing, single: { ...passing.single, apiP99: 25.01 } }],
    ['singleP99Ms', { ...passing, single: { ...passing.single, apiP99: Number.NaN } }],
    ['singleErrors', { ...passing, single: { ...passing.single, apiErrors: 1 } }],
    ['batchShareOfRaw', { ...passing, batch: { ...passing.batch!, apiUpdatesPerSecond: 1999 } }],
    ['batchErrors', { ...passing, batch: { ...passing.batch!, apiErrors: 2 } }],
    ['convergence', { ...passing, convergence: { converged: false, seconds: 30 } }],
  ])('fails %s just past its target, with a next lever', (target, figures) => {
    const v = verdict(figures, target);
    expect(v?.pass).toBe(false);
    expect(v?.nextLever).toEqual(expect.any(String));
    expect(judgeSync(figures).filter((x) => !x.pass)).toHaveLength(1);
  });

  it('judges the boundaries as met: exactly 1.0× raw, 25 ms, 20% of the raw batch', () => {
    const edge: SyncFigures = {
      single: { apiPerSecond: 1000, apiP99: 25, apiErrors: 0, rawPerSecond: 1000, rawP99: 5 },
      batch: { apiUpdatesPerSecond: 2000, apiErrors: 0, rawUpdatesPerSecond: 10000 },
      convergence: null,
    };
    expect(judgeSync(edge).every((v) => v.pass)).toBe(true);
  });

  it('fails a share whose raw baseline measured nothing, and leaves out skipped phases', () => {
    const verdicts = judgeSync({
      single: { ...passing.single, rawPerSecond: 0 },
      batch: null,
      convergence: null,
    });
    expect(verdicts.map((v) => v.target)).toEqual(['singleShareOfRaw', 'singleP99Ms', 'singleErrors']);
    expect(verdicts[0].pass).toBe(false);
  });

  it('prints one PASS/FAIL line per target, the lever under a failure, and a summary', () => {
    const lines = verdictLines(judgeSync({ ...passing, single: { ...passing.single, apiP99: 31.5 } }));
    expect(lines[0]).toBe('PASS singleShareOfRaw: 1.2 (raw 1000), target ≥ 1× raw');
    expect(lines[1]).toBe('FAIL singleP99Ms: 31.5 (raw 40), target ≤ 25 ms');
    expect(lines[2]).toMatch(/^ {5}next lever: /);
    expect(lines[lines.length - 1]).toBe('1 of 6 checks FAIL: singleP99Ms');
  });
});
