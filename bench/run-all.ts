// `npm run bench` (no suite): every suite of the earlier issues and the mixed load, each measured at
// every member count on one population per size, written to bench/results.json and bench/results.md.
import { relative } from 'node:path';
import { auditSession } from './audit/audit.bench';
import { membersSession } from './members/members.bench';
import { mixedSession } from './mixed/mixed.bench';
import { syncSession } from './sync/sync.bench';
import { fmt, gitState, log } from './support/bench-report';
import { defaultBenchStackOptions, startBenchStack } from './support/bench-stack';
import { populationOf, seedPopulation, settle } from './support/population';
import { sizeLabel } from './support/results';
import { checkLoadAverage, machineOf, recordResults } from './support/run-context';
import type { SuiteMeta, SuiteSession } from './support/suite-session';
import { parseRunAllOptions, suiteArgv, type SuiteName } from './run-all-options';

const SESSIONS: Record<SuiteName, (argv: string[]) => SuiteSession> = {
  audit: auditSession,
  members: membersSession,
  mixed: mixedSession,
  sync: syncSession,
};

export async function benchAll(argv: string[]): Promise<void> {
  const options = parseRunAllOptions(argv);
  const startedAt = new Date();
  const loadAverage1m = checkLoadAverage();
  const sessions = options.suites.map((s) => SESSIONS[s](suiteArgv(s, options)));
  log(
    `• npm run bench: ${options.suites.join(', ')} at ${options.sizes.map(sizeLabel).join(' and ')} members${options.quick ? ' (quick smoke run)' : ''}; results to ${relative(process.cwd(), options.out)}`,
  );
  let machine: SuiteMeta['machine'] | undefined;
  for (const size of options.sizes) {
    // One population per size: a fresh database seeded through the encryption path, shared by every suite.
    const stack = await startBenchStack(defaultBenchStackOptions());
    try {
      log(
        `\n• ${sizeLabel(size)} members: database ${stack.databaseName} (dropped at the end, also on Ctrl-C)`,
      );
      machine ??= await machineOf(stack.databaseUrl, loadAverage1m);
      const seeding = await seedPopulation(stack, { members: size, seed: options.seed, system: 'bench:all' });
      log(
        `  seeded ${fmt(seeding.members)} members in ${fmt(seeding.seconds, 1)} s (${fmt(seeding.members / seeding.seconds)}/s)`,
      );
      await settle(stack, ['member', 'member_key', 'member_change', 'audit_event']);
      const population = populationOf(stack, seeding, options.seed);
      for (const session of sessions) {
        log(`\n• ${session.name} at ${sizeLabel(size)} members`);
        const began = Date.now();
        try {
          await session.measure(population);
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          throw new Error(`the ${session.name} suite failed at ${fmt(size)} members: ${why}`, {
            cause: error,
          });
        }
        log(`  ${session.name} at ${sizeLabel(size)}: ${fmt((Date.now() - began) / 1000)} s`);
      }
    } finally {
      await stack.close();
    }
  }
  if (!machine) throw new Error('no size was measured');
  const meta: SuiteMeta = {
    startedAt,
    machine,
    git: gitState(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    quick: options.quick,
  };
  const suites = sessions.map((s) => s.finish(meta));
  const durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const markdown = recordResults(options.out, suites, {
    startedAt: startedAt.toISOString(),
    durationSeconds,
    sizes: options.sizes,
    quick: options.quick,
  });
  process.stdout.write(`\n${markdown}`);
  log(`• done in ${fmt(durationSeconds / 60, 1)} min`);
}
