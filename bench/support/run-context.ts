// What every suite needs around its measurements: the machine it ran on, the cleanups that must run
// on Ctrl-C (throwaway databases, forked processes), and the results file it records into.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { round } from './latency-stats';
import { log, query } from './bench-report';
import {
  mergeResults,
  parseResults,
  renderResults,
  type BenchResults,
  type Machine,
  type SuiteResult,
} from './results';

type Cleanup = () => unknown;
const cleanups: Cleanup[] = [];
let signalsInstalled = false;
let interrupted = false;

/** Whether Ctrl-C (or SIGTERM) has stopped the run: its cleanups are running and it exits 130. */
export const isInterrupted = () => interrupted;

/**
 * Runs `cleanup` when the run ends (returned function) or on SIGINT/SIGTERM, whichever comes first:
 * a benchmark's databases are dropped and its child processes killed also when it is interrupted.
 */
export function onInterrupt(cleanup: Cleanup): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once: Cleanup = () =>
    (done ??= Promise.resolve()
      .then(cleanup)
      .then(
        () => undefined,
        () => undefined,
      ));
  cleanups.push(once);
  if (!signalsInstalled) {
    signalsInstalled = true;
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted = true;
      log(`\n• ${signal}: stopping child processes and dropping the benchmark databases`);
      void (async () => {
        for (const c of cleanups.splice(0).reverse()) await c();
      })().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return async () => {
    const i = cleanups.indexOf(once);
    if (i >= 0) cleanups.splice(i, 1);
    await once();
  };
}

/** The machine and software a suite measured on (for the results file and the table's header). */
export async function machineOf(databaseUrl: string, loadAverage1m: number): Promise<Machine> {
  const [{ server_version: postgres }] = await query<{ server_version: string }>(
    databaseUrl,
    'show server_version',
  );
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres,
    platform: `${platform()} ${release()}`,
    loadAverage1m,
  };
}

/** Load average above this (per vCPU) at start makes the figures doubtful: the runner warns. */
export const BUSY_LOAD_PER_CPU = 0.5;

/** The 1-minute load average, with a warning on stderr when other work is likely to distort the run. */
export function checkLoadAverage(): number {
  const [oneMinute] = loadavg();
  const limit = BUSY_LOAD_PER_CPU * cpus().length;
  if (oneMinute > limit)
    log(
      `! the 1-minute load average is ${oneMinute.toFixed(2)} (> ${limit} on ${cpus().length} vCPUs): other work is ` +
        'running and will distort the figures; each phase waits (up to --wait-quiet) for a quiet machine and is ' +
        'repeated when disturbed, but for numbers to quote, stop the other work and run again',
    );
  return round(oneMinute, 2);
}

export const RESULTS_JSON = join(__dirname, '..', 'results.json');

/** `bench/results.md` beside a results file `bench/results.json` (any `.json` path: the same name in `.md`). */
export const markdownPathOf = (jsonPath: string) => jsonPath.replace(/\.json$/, '') + '.md';

/**
 * Records suites into a results file (merging: each suite replaces its own entry) and rewrites its
 * Markdown table beside it. Returns the Markdown.
 */
export function recordResults(
  file: string,
  suites: SuiteResult[],
  fullRun: BenchResults['lastFullRun'],
): string {
  const existing = parseResults(existsSync(file) ? readFileSync(file, 'utf8') : null);
  const merged = mergeResults(existing, suites, fullRun, new Date());
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  const markdown = renderResults(merged);
  writeFileSync(markdownPathOf(file), markdown);
  log(`• results: ${relative(process.cwd(), file)} and ${relative(process.cwd(), markdownPathOf(file))}`);
  return markdown;
}
