// bench/results.json and bench/results.md: every suite's figures in one shape, beside the raw-PostgreSQL
// baseline from the same run, per member count. Pure (no I/O): the runner, the suites and the unit tests use it.
import type { CpuBreakdown } from './cpu-account';

/** One side of a comparison (ours or the baseline) in one scenario at one size. */
export interface Figures {
  /** Per second, in the scenario's unit; null where the scenario has no throughput (a one-off). */
  throughput: number | null;
  /** Latency in ms (per request, per batch or per run, as the scenario says). */
  p50: number | null;
  p99: number | null;
  /**
   * CPU ms per request of the process doing the work: the API process for ours (API CPU / requests
   * served), the raw client (the load process running the SQL) for the baseline.
   */
  cpuMsPerRequest: number | null;
  /** CPU ms per request of the benchmark database's PostgreSQL backends. */
  pgCpuMsPerRequest: number | null;
  /** Peak resident memory of the API process(es) over the run; null for a baseline (no service process). */
  peakRssMb: number | null;
  /** Failed requests (non-2xx, socket errors, updates not applied). */
  errors: number | null;
}

/** A target an earlier issue set, judged on this run. */
export interface Verdict {
  target: string;
  /** What it means, with its bound, e.g. `reads ≥ 40% of raw SELECTs`. */
  description: string;
  value: number;
  pass: boolean;
}

export interface ScenarioAtSize {
  ours: Figures;
  baseline: Figures | null;
  verdicts: Verdict[];
}

export interface Scenario {
  label: string;
  /** The throughput's unit: `req/s`, `updates/s`, `events/s`, `pages/s`… */
  unit: string;
  /** What the baseline is (a raw-PostgreSQL equivalent), or null where none is meaningful. */
  baselineLabel: string | null;
  /** By member count (the key is the number as a string, as JSON has it). */
  sizes: Record<string, ScenarioAtSize>;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
  platform: string;
  /** The 1-minute load average when the run started (above ~0.5 per vCPU the figures are distorted). */
  loadAverage1m: number;
}

export interface SuiteResult {
  suite: string;
  /** When the suite's measurement started. */
  measuredAt: string;
  durationSeconds: number;
  git: { commit: string | null; uncommittedFiles: number | null };
  machine: Machine;
  /** The command that produced it (`npm run bench`, `npm run bench -- sync …`). */
  command: string;
  /** A smoke run (`--quick`): short runs, not a measurement to quote. */
  quick: boolean;
  /** How the members measured were made, per size: through the real encryption path. */
  seeding: Record<string, { members: number; seconds: number; perSecond: number }>;
  scenarios: Record<string, Scenario>;
  /** Targets judged across sizes (list latency growth), beside the per-size ones. */
  growthVerdicts: Verdict[];
  /** The suite's own detailed report in bench/reports/ (git-ignored), if written. */
  report: string | null;
}

export interface BenchResults {
  schema: 1;
  updatedAt: string;
  /** The last full run (`npm run bench` without a suite), if any. */
  lastFullRun: { startedAt: string; durationSeconds: number; sizes: number[]; quick: boolean } | null;
  suites: Record<string, SuiteResult>;
}

export const SUITE_ORDER = ['members', 'mixed', 'sync', 'audit'];

/** Rounds to `digits` decimals, keeping null and non-finite values as null. */
export function num(value: number | null | undefined, digits = 2): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Figures of a run from its stats and CPU account: `served` counts every request the accounted span
 * covered (warm-up included, as the account spans it). `side` says whose CPU is the request's:
 * the API's for ours, the load process's (the raw client) for a baseline.
 */
export function figuresOf(
  stats: { perSecond: number | null; p50: number | null; p99: number | null; errors?: number | null },
  cpu: CpuBreakdown | null | undefined,
  served: number,
  side: 'ours' | 'baseline',
): Figures {
  const msPer = (cores: number) => (cpu && served > 0 ? (cores * cpu.seconds * 1000) / served : null);
  return {
    throughput: num(stats.perSecond, 0),
    p50: num(stats.p50),
    p99: num(stats.p99),
    cpuMsPerRequest: cpu
      ? num(side === 'ours' ? (cpu.apiCpuSeconds * 1000) / Math.max(1, served) : msPer(cpu.load), 3)
      : null,
    pgCpuMsPerRequest: cpu ? num(msPer(cpu.postgres), 3) : null,
    peakRssMb: side === 'ours' ? (cpu?.apiPeakRssMb ?? null) : null,
    errors: stats.errors ?? null,
  };
}

/** Adds one size's figures to a scenario, creating the scenario on first use. */
export function addScenario(
  scenarios: Record<string, Scenario>,
  key: string,
  meta: Omit<Scenario, 'sizes'>,
  size: number,
  atSize: ScenarioAtSize,
): void {
  const scenario = (scenarios[key] ??= { ...meta, sizes: {} });
  scenario.sizes[String(size)] = atSize;
}

/**
 * The results file after a run: each suite the run measured replaces that suite's entry whole
 * (its sizes, date and commit go together), the others stay as they were.
 */
export function mergeResults(
  existing: BenchResults | null,
  suites: SuiteResult[],
  fullRun: BenchResults['lastFullRun'],
  now: Date,
): BenchResults {
  const merged: Record<string, SuiteResult> = { ...(existing?.suites ?? {}) };
  for (const suite of suites) merged[suite.suite] = suite;
  const ordered: Record<string, SuiteResult> = {};
  const names = Object.keys(merged).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) ordered[name] = merged[name];
  return {
    schema: 1,
    updatedAt: now.toISOString(),
    lastFullRun: fullRun ?? existing?.lastFullRun ?? null,
    suites: ordered,
  };
}

const rank = (suite: string) => {
  const i = SUITE_ORDER.indexOf(suite);
  return i < 0 ? SUITE_ORDER.length : i;
};

/** Reads a results file's text; anything that is not a schema-1 results object counts as none. */
export function parseResults(text: string | null): BenchResults | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Partial<BenchResults>;
    return parsed.schema === 1 && parsed.suites && typeof parsed.suites === 'object'
      ? (parsed as BenchResults)
      : null;
  } catch {
    return null;
  }
}

/** Every verdict of a suite (per size and across sizes). */
export function allVerdicts(
  suite: SuiteResult,
): Array<Verdict & { size: string | null; scenario: string | null }> {
  const out: Array<Verdict & { size: string | null; scenario: string | null }> = [];
  for (const [key, scenario] of Object.entries(suite.scenarios))
    for (const [size, at] of Object.entries(scenario.sizes))
      for (const v of at.verdicts) out.push({ ...v, size, scenario: key });
  for (const v of suite.growthVerdicts) out.push({ ...v, size: null, scenario: null });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The table (Markdown, which also reads well in a terminal).

const cell = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const sizeLabel = (size: number | string) => {
  const n = Number(size);
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
  return cell(n);
};

/** `later / earlier` as a growth factor (`×1.07`), or `–` where either is missing. */
export function growth(earlier: number | null | undefined, later: number | null | undefined): string {
  if (!earlier || later === null || later === undefined || !Number.isFinite(earlier / later)) return '–';
  return `×${(later / earlier).toFixed(2)}`;
}

const sideCells = (f: Figures | null) =>
  f
    ? [
        cell(f.throughput),
        cell(f.p50, 2),
        cell(f.p99, 2),
        cell(f.cpuMsPerRequest, 3),
        cell(f.pgCpuMsPerRequest, 3),
      ]
    : ['–', '–', '–', '–', '–'];

const verdictCell = (verdicts: Verdict[]) =>
  verdicts.map((v) => `${v.pass ? 'PASS' : 'FAIL'} ${v.description} (${cell(v.value, 2)})`).join('<br>') ||
  '–';

const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;

export function renderSuite(suite: SuiteResult): string[] {
  const lines: string[] = [];
  const verdicts = allVerdicts(suite);
  const failed = verdicts.filter((v) => !v.pass).length;
  const commit = suite.git.commit ? suite.git.commit.slice(0, 10) : 'unknown commit';
  const dirty = suite.git.uncommittedFiles ? ` + ${suite.git.uncommittedFiles} uncommitted files` : '';
  lines.push(
    `### ${suite.suite}${suite.quick ? ' (QUICK smoke run: not a measurement)' : ''}`,
    '',
    `Measured ${suite.measuredAt} at ${commit}${dirty} in ${cell(suite.durationSeconds)} s by \`${suite.command}\`; ` +
      `load average ${cell(suite.machine.loadAverage1m, 2)} at start. ` +
      (verdicts.length
        ? failed
          ? `**${failed} of ${verdicts.length} targets FAIL.**`
          : `All ${verdicts.length} targets PASS.`
        : 'No targets.'),
    '',
  );
  const seeding = Object.entries(suite.seeding);
  if (seeding.length)
    lines.push(
      `Seeding through the encryption path: ${seeding
        .map(([, s]) => `${cell(s.members)} members in ${cell(s.seconds, 1)} s (${cell(s.perSecond)}/s)`)
        .join('; ')}.`,
      '',
    );
  lines.push(
    row([
      'scenario',
      'members',
      'ours /s',
      'p50 ms',
      'p99 ms',
      'API CPU ms/req',
      'pg CPU ms/req',
      'peak RSS MB',
      'errors',
      'raw /s',
      'raw p50',
      'raw p99',
      'client CPU ms/req',
      'raw pg CPU ms/req',
      'targets',
    ]),
    row([
      '---',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---',
    ]),
  );
  for (const scenario of Object.values(suite.scenarios)) {
    const sizes = Object.keys(scenario.sizes).sort((a, b) => Number(a) - Number(b));
    for (const size of sizes) {
      const at = scenario.sizes[size];
      const [t, p50, p99, cpu, pg] = sideCells(at.ours);
      lines.push(
        row([
          `${scenario.label} (${scenario.unit})`,
          sizeLabel(size),
          t,
          p50,
          p99,
          cpu,
          pg,
          cell(at.ours.peakRssMb),
          cell(at.ours.errors),
          ...sideCells(at.baseline),
          verdictCell(at.verdicts),
        ]),
      );
    }
  }
  const baselines = Object.values(suite.scenarios).filter((s) => s.baselineLabel);
  if (baselines.length) {
    lines.push('', 'Baselines (raw, same run):');
    for (const s of baselines) lines.push(`- ${s.label}: ${s.baselineLabel}`);
  }
  const grown = Object.values(suite.scenarios).filter((s) => Object.keys(s.sizes).length >= 2);
  if (grown.length) {
    lines.push(
      '',
      'Growth from the smallest to the largest size (largest ÷ smallest):',
      '',
      row(['scenario', 'sizes', 'ours /s', 'raw /s', 'ours p99', 'raw p99', 'API CPU/req', 'peak RSS']),
      row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']),
    );
    for (const s of grown) {
      const sizes = Object.keys(s.sizes).sort((a, b) => Number(a) - Number(b));
      const small = s.sizes[sizes[0]];
      const large = s.sizes[sizes[sizes.length - 1]];
      lines.push(
        row([
          s.label,
          `${sizeLabel(sizes[0])} → ${sizeLabel(sizes[sizes.length - 1])}`,
          growth(small.ours.throughput, large.ours.throughput),
          growth(small.baseline?.throughput, large.baseline?.throughput),
          growth(small.ours.p99, large.ours.p99),
          growth(small.baseline?.p99, large.baseline?.p99),
          growth(small.ours.cpuMsPerRequest, large.ours.cpuMsPerRequest),
          growth(small.ours.peakRssMb, large.ours.peakRssMb),
        ]),
      );
    }
  }
  if (suite.growthVerdicts.length)
    lines.push(
      '',
      ...suite.growthVerdicts.map(
        (v) => `- ${v.pass ? 'PASS' : 'FAIL'} ${v.description}: ${cell(v.value, 2)}`,
      ),
    );
  if (suite.report) lines.push('', `Detailed report: \`${suite.report}\` (git-ignored).`);
  lines.push('');
  return lines;
}

/** The whole results file as Markdown: what was measured where, then one section per suite. */
export function renderResults(results: BenchResults): string {
  const suites = Object.values(results.suites);
  const machines = new Set(
    suites.map(
      (s) =>
        `${s.machine.cpus} vCPU ${s.machine.cpuModel}, ${s.machine.memoryGb} GB, Node ${s.machine.node}, PostgreSQL ${s.machine.postgres}`,
    ),
  );
  const lines = [
    '# Benchmark results',
    '',
    `Updated ${results.updatedAt}. Machine: ${[...machines].join('; ') || '–'}.`,
  ];
  if (results.lastFullRun)
    lines.push(
      `Last full run: ${results.lastFullRun.startedAt}, ${cell(results.lastFullRun.durationSeconds)} s, sizes ${results.lastFullRun.sizes.map(sizeLabel).join(', ')}${results.lastFullRun.quick ? ' (QUICK smoke run)' : ''}.`,
    );
  lines.push(
    '',
    'Columns: throughput per second (unit per scenario), latency p50/p99 in ms, CPU ms per request of the API process',
    "(raw side: of the raw client), of the PostgreSQL backends, and the API process's peak RSS. `–`: not measured or not",
    "meaningful. Figures from a machine with other work running are not comparable; see the README's benchmark section.",
    '',
  );
  for (const suite of suites) lines.push(...renderSuite(suite));
  return `${lines.join('\n')}\n`;
}
