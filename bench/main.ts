// `npm run bench -- <suite> [options]`: benchmarks with raw-Postgres baselines, each in a throwaway
// database that is dropped at the end. Tables go to stdout, progress to stderr, reports to bench/reports/.
import { auditBench } from './audit/audit.bench';
import { membersBench } from './members/members.bench';
import { syncBench } from './sync/sync.bench';

const SUITES: Record<string, (argv: string[]) => Promise<void>> = {
  audit: auditBench,
  members: membersBench,
  sync: syncBench,
};

async function main([suite, ...rest]: string[]): Promise<void> {
  const run = suite ? SUITES[suite] : undefined;
  if (!run) {
    console.error(`usage: npm run bench -- <${Object.keys(SUITES).join('|')}> [options]`);
    process.exit(2);
  }
  await run(rest);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
