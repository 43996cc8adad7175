import { join } from 'node:path';
import { parseRunAllOptions, suiteArgv } from './run-all-options';

describe('npm run bench options', () => {
  it('runs every suite at 10k and 1M members into bench/results.json by default', () => {
    expect(parseRunAllOptions([])).toEqual({
      sizes: [10_000, 1_000_000],
      quick: false,
      suites: ['members', 'mixed', 'sync', 'audit'],
      waitQuietSeconds: null,
      out: join(__dirname, 'results.json'),
      seed: 20261201,
    });
  });

  it('--quick measures 10k only, waits for no quiet machine and keeps away from the committed results', () => {
    const options = parseRunAllOptions(['--quick']);
    expect(options.sizes).toEqual([10_000]);
    expect(options.waitQuietSeconds).toBe(0);
    expect(options.out).toBe(join(__dirname, 'reports', 'results-quick.json'));
  });

  it('takes sizes and suites in any order, deduplicated, and runs suites in their fixed order', () => {
    const options = parseRunAllOptions(['--sizes', '1000000, 10000,10000', '--suites', 'audit,members']);
    expect(options.sizes).toEqual([10_000, 1_000_000]);
    expect(options.suites).toEqual(['members', 'audit']);
  });

  it('refuses unknown options, suites and sizes with the usage', () => {
    expect(() => parseRunAllOptions(['--fast'])).toThrow(/usage: npm run bench[\s\S]*unknown option --fast/);
    expect(() => parseRunAllOptions(['--suites', 'members,speed'])).toThrow(/unknown suite speed/);
    expect(() => parseRunAllOptions(['--sizes', '10k'])).toThrow(/sizes are integers ≥ 1000/);
    expect(() => parseRunAllOptions(['--sizes', '500'])).toThrow(/sizes are integers ≥ 1000/);
    expect(() => parseRunAllOptions(['--wait-quiet', '-1'])).toThrow(/unknown option -1|non-negative/);
  });

  it("keeps each suite's own scenarios by default and shortens them only for --quick", () => {
    for (const suite of ['members', 'mixed', 'sync', 'audit'] as const)
      expect(suiteArgv(suite, { quick: false, waitQuietSeconds: null })).toEqual([]);
    expect(suiteArgv('sync', { quick: true, waitQuietSeconds: 0 })).toEqual(['--quick', '--wait-quiet', '0']);
    expect(suiteArgv('audit', { quick: true, waitQuietSeconds: 0 })).toEqual([
      '--events',
      '20000',
      '--rounds',
      '1',
      '--duration',
      '3',
      '--warmup',
      '1',
      '--wait-quiet',
      '0',
    ]);
    expect(suiteArgv('members', { quick: false, waitQuietSeconds: 30 })).toEqual(['--wait-quiet', '30']);
  });
});
