// `npm run bench`: every suite at 10k and 1M members plus the mixed load, into bench/results.json and
// bench/results.md (see run-all.ts). `npm run bench -- <suite> [options]`: one suite on a stack of its
// own; its entry in bench/results.json is replaced (the others stay). Each suite works in throwaway
// databases that are dropped at the end, also on Ctrl-C. Tables go to stdout, progress to stderr,
// detailed reports to bench/reports/ (git-ignored).
import { join } from 'node:path';
import { auditBench } from './audit/audit.bench';
import { membersBench } from './members/members.bench';
import { mixedBench } from './mixed/mixed.bench';
import { benchAll } from './run-all';
import { RUN_ALL_USAGE } from './run-all-options';
import { syncBench } from './sync/sync.bench';
import type { SuiteResult } from './support/results';
import { isInterrupted, RESULTS_JSON, recordResults } from './support/run-context';

const SUITES: Record<string, (argv: string[]) => Promise<SuiteResult>> = {
  audit: auditBench,
  members: membersBench,
  mixed: mixedBench,
  sync: syncBench,
};

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    process.stdout.write(`${RUN_ALL_USAGE}\n`);
    return;
  }
  if (first === undefined || first.startsWith('--')) return benchAll(argv);
  const run = SUITES[first];
  if (!run) throw new Error(`${RUN_ALL_USAGE}\nunknown suite ${first}`);
  const result = await run(rest);
  // A smoke run (--quick) is no measurement: it never replaces the committed figures.
  recordResults(
    result.quick ? join(__dirname, 'reports', 'results-quick.json') : RESULTS_JSON,
    [result],
    null,
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    // After Ctrl-C the interrupted work fails on its closed connections: the signal handler exits (130).
    if (isInterrupted()) return;
    console.error(error);
    console.error('\nbenchmark FAILED (its databases are dropped and its child processes stopped)');
    process.exit(1);
  },
);
