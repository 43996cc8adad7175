// `npm run bench -- mixed`: the end-to-end mixed load. 70% member reads, 20% signed single updates and
// 10% signed 50-update batches over 32 keep-alive HTTPS connections against the bench's API, beside a
// raw pool of 32 PostgreSQL connections running the same mix as the members and sync baselines' SQL.
import { extname, join } from 'node:path';
import { SyntheticMemberGenerator } from '@app/members';
import { fmt, log } from '../support/bench-report';
import { CpuAccount, type CpuBreakdown } from '../support/cpu-account';
import { ForkedTasks } from '../support/forked-tasks';
import type { RunStats } from '../support/latency-stats';
import { memberHalves, populationOf, seedMembers, settle, type Population } from '../support/population';
import { measureQuietly, type Measured } from '../support/quiet-measure';
import { addScenario, figuresOf, type SuiteResult } from '../support/results';
import { onInterrupt } from '../support/run-context';
import { runStandalone } from '../support/standalone';
import { suiteResultOf, writeSuiteReport, type SuiteMeta, type SuiteSession } from '../support/suite-session';
import { rawColumns, rawTargetOf } from '../sync/sync.bench';
import { updateChanges } from '../sync/update-bodies';
import { MIX, MIX_BATCH_SIZE, MIX_KINDS, type MixKind } from './mix';
import type { MixedLoadTask, MixedRunResult } from './mixed-load-tasks';

export interface MixedOptions {
  members: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  seed: number;
  waitQuietSeconds: number;
  quick: boolean;
}

const USAGE = `usage: npm run bench -- mixed [--members 10000] [--connections 32] [--seconds 15] [--warmup 3]
       [--seed 20261201] [--wait-quiet 120] [--quick]   (--quick: 3 s runs, no quiet wait)`;

export function parseMixedOptions(argv: string[]): MixedOptions {
  const known = new Set(['--members', '--connections', '--seconds', '--warmup', '--seed', '--wait-quiet']);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') continue;
    if (known.has(argv[i]) && i + 1 < argv.length) {
      i++;
      continue;
    }
    throw new Error(`${USAGE}\nunknown option ${argv[i]}`);
  }
  const quick = argv.includes('--quick');
  const int = (name: string, fallback: number, min = 1) => {
    const i = argv.indexOf(name);
    const raw = i >= 0 ? argv[i + 1] : undefined;
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new Error(`${USAGE}\n${name} must be an integer ≥ ${min}`);
    return Number(raw);
  };
  const options: MixedOptions = {
    members: int('--members', 10_000, 1),
    connections: int('--connections', 32),
    seconds: int('--seconds', quick ? 3 : 15),
    warmupSeconds: int('--warmup', quick ? 1 : 3, 0),
    seed: int('--seed', 20261201, 0),
    waitQuietSeconds: int('--wait-quiet', quick ? 0 : 120, 0),
    quick,
  };
  // Each half must outnumber the updates 32 connections can have in flight (a batch each), or two
  // requests could change one member at once.
  const halfNeeded = options.connections * MIX_BATCH_SIZE;
  if (options.members < 2 * halfNeeded)
    throw new Error(
      `${USAGE}\n--members must be at least ${2 * halfNeeded} for ${options.connections} connections`,
    );
  return options;
}

interface MixedSizeResult {
  members: number;
  seeding: { members: number; seconds: number; perSecond: number };
  api: MixedRunResult & { cpu: CpuBreakdown | null; attempts: number };
  raw: MixedRunResult & { cpu: CpuBreakdown | null; attempts: number };
}

const withCpu = (m: Measured<MixedRunResult>) => ({ ...m.result, cpu: m.cpu, attempts: m.attempts });

async function measureMixedSize(
  population: Population,
  load: ForkedTasks<MixedLoadTask, MixedRunResult>,
  options: MixedOptions,
): Promise<MixedSizeResult> {
  const { stack } = population;
  const source = await population.source();
  // The API reads and changes the API half; the raw writes change only the raw half (see memberHalves).
  const { apiIds, rawIds } = await memberHalves(stack, population.organizationId);
  if (rawIds.length < options.connections * MIX_BATCH_SIZE)
    throw new Error(
      `the mixed load needs at least ${2 * options.connections * MIX_BATCH_SIZE} members for ${options.connections} connections (has ${population.members})`,
    );
  const changes = updateChanges(new SyntheticMemberGenerator(options.seed + 1).members(0, 2000));
  const rawTarget = rawTargetOf(stack, source, await rawColumns(stack));
  const account = new CpuAccount(load.pid, stack.databaseName);
  const mix = `${MIX.read * 100}% reads / ${MIX.update * 100}% updates / ${MIX.batch * 100}% ${MIX_BATCH_SIZE}-update batches`;

  log(
    `• ${fmt(population.members)}: mixed load (${mix}), ${options.connections} connections, ${options.seconds} s`,
  );
  const api = await measureQuietly(options.waitQuietSeconds, account, async () =>
    load.run({
      kind: 'http-mixed',
      target: {
        baseUrl: stack.baseUrl,
        ca: stack.ca,
        token: await source.token(),
        webhookSecret: source.webhookSecret,
      },
      ids: apiIds,
      changes,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
      seed: options.seed,
    }),
  );
  if (api.result.overall.requests === 0)
    throw new Error(`the mixed load got no successful answer: ${JSON.stringify(api.result.statusCodes)}`);
  log(
    `• ${fmt(population.members)}: raw pg, the same mix, ${options.connections} connections, ${options.seconds} s`,
  );
  const raw = await measureQuietly(
    options.waitQuietSeconds,
    account,
    () =>
      load.run({
        kind: 'pg-mixed',
        target: rawTarget,
        readIds: apiIds,
        writeIds: rawIds,
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
        seed: options.seed,
      }),
    { sampleEveryMs: 500 },
  );
  const line = (r: MixedRunResult) =>
    `${fmt(r.overall.perSecond)} req/s (p50 ${fmt(r.overall.p50, 2)} / p99 ${fmt(r.overall.p99, 2)} ms, errors ${r.overall.errors})`;
  log(`  ours ${line(api.result)}; raw ${line(raw.result)}`);
  return { members: population.members, seeding: population.seeding, api: withCpu(api), raw: withCpu(raw) };
}

const served = (r: MixedRunResult) => r.overall.requests + r.overall.errors + r.warmupRequests;

/** The suite's results-file entry: the whole mix and each kind, ours beside the raw mix. */
function mixedSuiteResult(
  sizes: MixedSizeResult[],
  options: MixedOptions,
  meta: SuiteMeta,
  report: string,
): SuiteResult {
  const scenarios: SuiteResult['scenarios'] = {};
  const baselineLabel = `a pg Pool of ${options.connections} running the same mix: SELECT * FROM member WHERE id = $1 (members baseline), the write path's statements per update and per ${MIX_BATCH_SIZE}-update batch (sync baselines)`;
  // CPU and memory belong to the whole mix (one process serves every kind): on the overall row only.
  const kindFigures = (s: RunStats) => ({
    throughput: s.perSecond,
    p50: s.p50,
    p99: s.p99,
    cpuMsPerRequest: null,
    pgCpuMsPerRequest: null,
    peakRssMb: null,
    errors: s.errors,
  });
  for (const r of sizes) {
    addScenario(
      scenarios,
      'overall',
      { label: `mixed 70/20/10, ${options.connections} conn, all requests`, unit: 'req/s', baselineLabel },
      r.members,
      {
        ours: figuresOf({ ...r.api.overall }, r.api.cpu, served(r.api), 'ours'),
        baseline: figuresOf({ ...r.raw.overall }, r.raw.cpu, served(r.raw), 'baseline'),
        verdicts: [
          {
            target: 'mixedErrors',
            description: 'no errors',
            value: r.api.overall.errors,
            pass: r.api.overall.errors === 0,
          },
        ],
      },
    );
    const labels: Record<MixKind, string> = {
      read: '  of which GET /members/{id}',
      update: '  of which POST /members/{id}/updates',
      batch: `  of which POST /sync/batches of ${MIX_BATCH_SIZE}`,
    };
    for (const kind of MIX_KINDS)
      addScenario(scenarios, kind, { label: labels[kind], unit: 'req/s', baselineLabel: null }, r.members, {
        ours: kindFigures(r.api.byKind[kind]),
        baseline: kindFigures(r.raw.byKind[kind]),
        verdicts: [],
      });
  }
  return suiteResultOf('mixed', meta, {
    seeding: Object.fromEntries(sizes.map((s) => [String(s.members), s.seeding])),
    scenarios,
    report,
  });
}

function writeMixedReport(sizes: MixedSizeResult[], options: MixedOptions, meta: SuiteMeta): string {
  return writeSuiteReport('mixed', meta, { options, mix: MIX, batchSize: MIX_BATCH_SIZE, sizes });
}

const newLoad = () =>
  new ForkedTasks<MixedLoadTask, MixedRunResult>(join(__dirname, `mixed-load-process${extname(__filename)}`));

/** The suite as `npm run bench` runs it: on each size's shared population. */
export function mixedSession(argv: string[]): SuiteSession {
  const options = parseMixedOptions(argv);
  const sizes: MixedSizeResult[] = [];
  return {
    name: 'mixed',
    measure: async (population) => {
      const load = newLoad();
      const release = onInterrupt(() => load.close());
      try {
        sizes.push(await measureMixedSize(population, load, options));
      } finally {
        await release();
      }
    },
    finish: (meta) => mixedSuiteResult(sizes, options, meta, writeMixedReport(sizes, options, meta)),
  };
}

/** `npm run bench -- mixed`: seeds its own stack and runs the mix once. */
export async function mixedBench(argv: string[]): Promise<SuiteResult> {
  const options = parseMixedOptions(argv);
  return runStandalone('mixed', argv, options.quick, newLoad, async ({ stack, load, meta }) => {
    log(`• seeding ${fmt(options.members)} members (seed ${options.seed}) through the encryption path`);
    const seeding = await seedMembers(stack, {
      from: 0,
      to: options.members,
      seed: options.seed,
      system: 'bench:mixed',
    });
    await settle(stack, ['member', 'member_key', 'audit_event']);
    const sizes = [await measureMixedSize(populationOf(stack, seeding, options.seed), load, options)];
    return mixedSuiteResult(sizes, options, meta, writeMixedReport(sizes, options, meta));
  });
}
