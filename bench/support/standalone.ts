// `npm run bench -- <suite>`: a suite on a stack of its own, with its load process, both stopped and
// the database dropped when it ends, fails or is interrupted.
import { gitState, log } from './bench-report';
import { defaultBenchStackOptions, startBenchStack, type BenchStack } from './bench-stack';
import { checkLoadAverage, machineOf, onInterrupt } from './run-context';
import type { SuiteMeta } from './suite-session';

export interface Standalone<L> {
  stack: BenchStack;
  load: L;
  meta: SuiteMeta;
  /** Stops the load process and closes the stack now (idempotent; also done at the end). */
  release: () => Promise<void>;
}

export async function runStandalone<L extends { close(): void }, T>(
  suite: string,
  argv: string[],
  quick: boolean,
  newLoad: () => L,
  run: (ctx: Standalone<L>) => Promise<T>,
): Promise<T> {
  const startedAt = new Date();
  const loadAverage1m = checkLoadAverage();
  const stack = await startBenchStack(defaultBenchStackOptions());
  log(`• database ${stack.databaseName}, API on ${stack.baseUrl} (dropped at the end, also on Ctrl-C)`);
  const load = newLoad();
  const release = onInterrupt(async () => {
    load.close();
    await stack.close();
  });
  try {
    const meta: SuiteMeta = {
      startedAt,
      machine: await machineOf(stack.databaseUrl, loadAverage1m),
      git: gitState(),
      command: `npm run bench -- ${suite} ${argv.join(' ')}`.trim(),
      quick,
    };
    return await run({ stack, load, meta, release });
  } finally {
    await release();
  }
}
