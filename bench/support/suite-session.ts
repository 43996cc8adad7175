// How `npm run bench` drives a suite: measure it on each size's population, then collect its result.
import { writeFileSync } from 'node:fs';
import { relative, join } from 'node:path';
import { reportsDir, stamp } from './bench-report';
import type { Population } from './population';
import type { Machine, SuiteResult } from './results';

export interface SuiteMeta {
  startedAt: Date;
  machine: Machine;
  git: { commit: string | null; uncommittedFiles: number | null };
  /** The command line that ran it, for the results file. */
  command: string;
  quick: boolean;
}

export interface SuiteSession {
  readonly name: string;
  /** Measures the suite's scenarios on one population (one member count). */
  measure(population: Population): Promise<void>;
  /** Prints the suite's own table, writes its detailed report and returns its results-file entry. */
  finish(meta: SuiteMeta): SuiteResult;
}

/** A suite's results-file entry from what it measured and the run's facts. */
export function suiteResultOf(
  suite: string,
  meta: SuiteMeta,
  measured: Pick<SuiteResult, 'seeding' | 'scenarios' | 'report'> & {
    growthVerdicts?: SuiteResult['growthVerdicts'];
  },
): SuiteResult {
  return {
    suite,
    measuredAt: meta.startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - meta.startedAt.getTime()) / 1000),
    git: meta.git,
    machine: meta.machine,
    command: meta.command,
    quick: meta.quick,
    seeding: measured.seeding,
    scenarios: measured.scenarios,
    growthVerdicts: measured.growthVerdicts ?? [],
    report: measured.report,
  };
}

/** Writes a suite's detailed report to bench/reports/ and returns its path (relative to the working folder). */
export function writeSuiteReport(suite: string, meta: SuiteMeta, body: Record<string, unknown>): string {
  const file = join(reportsDir(), `${suite}-${stamp(meta.startedAt)}.json`);
  const report = {
    benchmark: suite,
    startedAt: meta.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: meta.machine,
    git: meta.git,
    ...body,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nreport: ${file}\n`);
  return relative(process.cwd(), file);
}
