import type { CpuBreakdown } from './cpu-account';
import {
  addScenario,
  allVerdicts,
  figuresOf,
  growth,
  mergeResults,
  parseResults,
  renderResults,
  renderSuite,
  sizeLabel,
  type Figures,
  type SuiteResult,
} from './results';

const machine = {
  cpus: 2,
  cpuModel: 'Test CPU',
  memoryGb: 8,
  node: 'v20.20.2',
  postgres: '15.20',
  platform: 'linux',
  loadAverage1m: 0.12,
};

const figures = (throughput: number, p99: number, extra: Partial<Figures> = {}): Figures => ({
  throughput,
  p50: p99 / 4,
  p99,
  cpuMsPerRequest: 0.5,
  pgCpuMsPerRequest: 0.1,
  peakRssMb: 300,
  errors: 0,
  ...extra,
});

function suite(name: string, measuredAt: string, overrides: Partial<SuiteResult> = {}): SuiteResult {
  const scenarios: SuiteResult['scenarios'] = {};
  const meta = { label: 'GET /members/{id}, 32 conn', unit: 'req/s', baselineLabel: 'raw SELECT by id' };
  addScenario(scenarios, 'reads', meta, 10_000, {
    ours: figures(1200, 20),
    baseline: figures(6000, 8, { peakRssMb: null }),
    verdicts: [{ target: 'readShare', description: '≥ 40% of raw req/s', value: 0.2, pass: false }],
  });
  addScenario(scenarios, 'reads', meta, 1_000_000, {
    ours: figures(1080, 25),
    baseline: figures(5400, 10, { peakRssMb: null }),
    verdicts: [{ target: 'readShare', description: '≥ 40% of raw req/s', value: 0.2, pass: false }],
  });
  addScenario(
    scenarios,
    'list',
    { label: 'GET /members?limit=50', unit: 'pages/s', baselineLabel: null },
    10_000,
    {
      ours: figures(90, 30),
      baseline: null,
      verdicts: [{ target: 'listP99Ms', description: 'p99 ≤ 30 ms', value: 30, pass: true }],
    },
  );
  return {
    suite: name,
    measuredAt,
    durationSeconds: 300,
    git: { commit: '0123456789abcdef', uncommittedFiles: 0 },
    machine,
    command: 'npm run bench',
    quick: false,
    seeding: { '10000': { members: 10_000, seconds: 4.3, perSecond: 2326 } },
    scenarios,
    growthVerdicts: [],
    report: null,
    ...overrides,
  };
}

describe('results: figures from a measured run', () => {
  const cpu: CpuBreakdown = {
    machine: 1.8,
    api: 0.9,
    apiCpuSeconds: 9,
    seconds: 10,
    load: 0.2,
    postgres: 0.5,
    redis: 0,
    irq: 0.1,
    other: 0.1,
    apiPeakRssMb: 412,
  };

  it('charges our requests with the API process CPU and peak memory', () => {
    const f = figuresOf({ perSecond: 1000.4, p50: 3.456, p99: 12.349, errors: 2 }, cpu, 10_000, 'ours');
    expect(f).toEqual({
      throughput: 1000,
      p50: 3.46,
      p99: 12.35,
      cpuMsPerRequest: 0.9, // 9 s of API CPU over 10,000 requests
      pgCpuMsPerRequest: 0.5, // 0.5 cores × 10 s over 10,000 requests
      peakRssMb: 412,
      errors: 2,
    });
  });

  it('charges a baseline with the raw client (load process) CPU and no service memory', () => {
    const f = figuresOf({ perSecond: 5000, p50: 1, p99: 2 }, cpu, 50_000, 'baseline');
    expect(f.cpuMsPerRequest).toBe(0.04); // 0.2 cores × 10 s over 50,000 queries
    expect(f.pgCpuMsPerRequest).toBe(0.1);
    expect(f.peakRssMb).toBeNull();
  });

  it('leaves CPU unknown when the run was not accounted (no /proc)', () => {
    const f = figuresOf({ perSecond: 10, p50: 1, p99: 2 }, null, 100, 'ours');
    expect(f.cpuMsPerRequest).toBeNull();
    expect(f.pgCpuMsPerRequest).toBeNull();
    expect(f.peakRssMb).toBeNull();
  });
});

describe('results: merging a run into the results file', () => {
  it('replaces a measured suite whole and keeps the others as they were', () => {
    const before = mergeResults(
      null,
      [suite('members', '2026-11-01T00:00:00.000Z'), suite('sync', '2026-11-01T00:00:00.000Z')],
      {
        startedAt: '2026-11-01T00:00:00.000Z',
        durationSeconds: 1800,
        sizes: [10_000, 1_000_000],
        quick: false,
      },
      new Date('2026-11-01T00:30:00.000Z'),
    );
    const rerun = suite('sync', '2026-11-02T00:00:00.000Z', { command: 'npm run bench -- sync' });
    delete rerun.scenarios.list;
    const after = mergeResults(before, [rerun], null, new Date('2026-11-02T00:10:00.000Z'));

    expect(after.updatedAt).toBe('2026-11-02T00:10:00.000Z');
    expect(after.suites.members).toEqual(before.suites.members);
    expect(after.suites.sync.measuredAt).toBe('2026-11-02T00:00:00.000Z');
    expect(after.suites.sync.command).toBe('npm run bench -- sync');
    // Whole: the earlier run's scenarios of that suite do not linger beside the new ones.
    expect(Object.keys(after.suites.sync.scenarios)).toEqual(['reads']);
    // A single suite's run keeps the last full run's record.
    expect(after.lastFullRun).toEqual(before.lastFullRun);
  });

  it('orders suites as the full run does, unknown ones last', () => {
    const merged = mergeResults(
      null,
      [
        suite('zeta', 'x'),
        suite('audit', 'x'),
        suite('sync', 'x'),
        suite('members', 'x'),
        suite('mixed', 'x'),
      ],
      null,
      new Date(0),
    );
    expect(Object.keys(merged.suites)).toEqual(['members', 'mixed', 'sync', 'audit', 'zeta']);
  });

  it('reads back what it wrote and treats anything else as no results', () => {
    const merged = mergeResults(null, [suite('members', 'x')], null, new Date(0));
    expect(parseResults(JSON.stringify(merged))).toEqual(merged);
    expect(parseResults(null)).toBeNull();
    expect(parseResults('not json')).toBeNull();
    expect(parseResults('{"schema":2,"suites":{}}')).toBeNull();
    expect(parseResults('[1,2]')).toBeNull();
  });

  it('lists every verdict with where it was judged', () => {
    const s = suite('members', 'x', {
      growthVerdicts: [{ target: 'listP99Growth', description: 'list p99 ≤ 1.2×', value: 1.1, pass: true }],
    });
    expect(allVerdicts(s).map((v) => `${v.scenario}@${v.size}:${v.target}:${v.pass}`)).toEqual([
      'reads@10000:readShare:false',
      'reads@1000000:readShare:false',
      'list@10000:listP99Ms:true',
      'null@null:listP99Growth:true',
    ]);
  });
});

describe('results: the table', () => {
  it('names sizes and growth factors the way the table prints them', () => {
    expect(sizeLabel(10_000)).toBe('10k');
    expect(sizeLabel('1000000')).toBe('1M');
    expect(sizeLabel(2500)).toBe('2,500');
    expect(growth(1200, 1080)).toBe('×0.90');
    expect(growth(null, 5)).toBe('–');
    expect(growth(5, null)).toBe('–');
  });

  it('prints one row per scenario and size, ours beside the raw baseline, with its verdicts', () => {
    const lines = renderSuite(suite('members', '2026-11-01T00:00:00.000Z'));
    const row10k = lines.find((l) => l.startsWith('| GET /members/{id}, 32 conn (req/s) | 10k |'));
    expect(row10k).toBe(
      '| GET /members/{id}, 32 conn (req/s) | 10k | 1,200 | 5.00 | 20.00 | 0.500 | 0.100 | 300 | 0 | 6,000 | 2.00 | 8.00 | 0.500 | 0.100 | FAIL ≥ 40% of raw req/s (0.20) |',
    );
    // No baseline: dashes, not zeros.
    expect(lines.find((l) => l.startsWith('| GET /members?limit=50'))).toContain(
      '| 0 | – | – | – | – | – | PASS p99 ≤ 30 ms (30.00) |',
    );
    expect(lines).toContain('- GET /members/{id}, 32 conn: raw SELECT by id');
    expect(lines.join('\n')).toContain('**2 of 3 targets FAIL.**');
  });

  it('shows how each figure grows from the smallest size to the largest', () => {
    const lines = renderSuite(suite('members', 'x'));
    expect(lines).toContain(
      '| GET /members/{id}, 32 conn | 10k → 1M | ×0.90 | ×0.90 | ×1.25 | ×1.25 | ×1.00 | ×1.00 |',
    );
    // A scenario measured at one size only has no growth row.
    expect(lines.some((l) => l.startsWith('| GET /members?limit=50 | 10k →'))).toBe(false);
  });

  it('marks a quick run as not a measurement and says when everything passed', () => {
    const quick = suite('mixed', 'x', { quick: true });
    for (const scenario of Object.values(quick.scenarios))
      for (const at of Object.values(scenario.sizes))
        at.verdicts = at.verdicts.map((v) => ({ ...v, pass: true }));
    const text = renderSuite(quick).join('\n');
    expect(text).toContain('### mixed (QUICK smoke run: not a measurement)');
    expect(text).toContain('All 3 targets PASS.');
  });

  it('renders the whole file with the machine and the last full run', () => {
    const merged = mergeResults(
      null,
      [suite('members', 'x')],
      {
        startedAt: '2026-11-01T00:00:00.000Z',
        durationSeconds: 1800,
        sizes: [10_000, 1_000_000],
        quick: false,
      },
      new Date('2026-11-01T00:30:00.000Z'),
    );
    const text = renderResults(merged);
    expect(text.startsWith('# Benchmark results\n')).toBe(true);
    expect(text).toContain('2 vCPU Test CPU, 8 GB, Node v20.20.2, PostgreSQL 15.20');
    expect(text).toContain('Last full run: 2026-11-01T00:00:00.000Z, 1,800 s, sizes 10k, 1M.');
    expect(text).toContain('### members');
  });

  it('escapes a pipe in a label so the row keeps its columns', () => {
    const s = suite('members', 'x');
    s.scenarios.reads.label = 'a | b';
    expect(renderSuite(s).some((l) => l.startsWith('| a \\| b (req/s) |'))).toBe(true);
  });
});
