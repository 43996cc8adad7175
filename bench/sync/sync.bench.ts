import { cpus } from 'node:os';
import { extname, join } from 'node:path';
import { SyntheticMemberGenerator } from '@app/members';
import { ChangeGroupCommit } from '@app/sync';
import { encryptedColumn, type MemberField } from '../../libs/members/src/catalog/field-catalog';
import { fmt, log, query, reportsDir, stamp } from '../support/bench-report';
import { type BenchStack } from '../support/bench-stack';
import { CpuAccount, type CpuBreakdown } from '../support/cpu-account';
import { CpuProfiler, type ProfileSummary } from '../support/cpu-profile';
import { ForkedTasks } from '../support/forked-tasks';
import { round } from '../support/latency-stats';
import { memberHalves, seedMembers, settle, type Population } from '../support/population';
import { measureQuietly, type Measured } from '../support/quiet-measure';
import { addScenario, figuresOf, num, type SuiteResult } from '../support/results';
import { onInterrupt } from '../support/run-context';
import { benchSource, type BenchSource } from '../support/source-partner';
import { runStandalone } from '../support/standalone';
import { suiteResultOf, writeSuiteReport, type SuiteMeta, type SuiteSession } from '../support/suite-session';
import { runConvergence, type ConvergenceResult } from './convergence';
import type {
  BatchRunResult,
  RawTarget,
  SignedTarget,
  SyncLoadResult,
  SyncLoadTask,
  UpdateRunResult,
} from './sync-load-tasks';
import { parseSyncOptions, type SyncOptions } from './sync-options';
import { judgeSync, SYNC_TARGETS, verdictLines, type SyncVerdict } from './sync-targets';
import { updateChanges } from './update-bodies';

/** The fields each update changes: the membership system's contact and coverage fields (see update-bodies.ts). */
const UPDATED_FIELDS: MemberField[] = ['phone', 'planCode', 'coverageTier'];
const UPDATED_CATEGORIES = ['contact', 'coverage'];
const BATCH_SIZE = 1000;

interface SyncResults {
  seeding: { members: number; seconds: number; perSecond: number };
  single: {
    api: UpdateRunResult & { cpu: CpuBreakdown | null };
    raw: UpdateRunResult & { cpu: CpuBreakdown | null };
    share: number;
    /** API process CPU per update served (warm-up included, as the accounting spans it), µs. */
    apiCpuPerUpdateUs: number | null;
    /** The API's group commit over the measured attempt (warm-up included): transactions and changes committed. */
    groupCommit: { transactions: number; changes: number; changesPerTransaction: number };
    profile?: ProfileSummary;
  };
  batch: {
    /** Updates per batch: 1,000, or half the members when fewer are seeded (--quick). */
    size: number;
    api: BatchRunResult & { cpu: CpuBreakdown | null };
    raw: BatchRunResult & { cpu: CpuBreakdown | null };
    share: number;
  };
  convergence: ConvergenceResult | null;
  conditions: Record<string, { attempts: number; backgroundCores: number | null }>;
}

const withCpu = <T>(m: Measured<T>) => ({ ...m.result, cpu: m.cpu });

/** API CPU seconds over the requests served while they were accounted (warm-up included), in µs. */
function cpuPerRequestUs({ cpu, result }: Measured<UpdateRunResult>): number | null {
  const served = result.requests + result.errors + result.warmupRequests;
  return cpu && served ? Math.round((cpu.apiCpuSeconds / served) * 1e6) : null;
}

interface SizeRun {
  members: number;
  results: SyncResults;
  verdicts: SyncVerdict[];
  columns: RawTarget['columns'];
  lines: string[];
}

/** The single-update and batch runs on a seeded stack, beside their raw baselines (the suite's per-size part). */
async function measureSyncSize(ctx: {
  stack: BenchStack;
  load: ForkedTasks<SyncLoadTask, SyncLoadResult>;
  source: BenchSource;
  organizationId: string;
  options: SyncOptions;
  seeding: { members: number; seconds: number; perSecond?: number };
  startedAt: Date;
}): Promise<Omit<SyncResults, 'convergence'> & { columns: RawTarget['columns'] }> {
  const { stack, load, source, organizationId, options, seeding, startedAt } = ctx;
  // Two disjoint halves: the raw baseline writes bytes that are no ciphertext, so the API never reads its members.
  const { apiIds, rawIds } = await memberHalves(stack, organizationId);
  const changes = updateChanges(new SyntheticMemberGenerator(options.seed + 1).members(0, 2000));
  const columns = await rawColumns(stack);
  const rawTarget = rawTargetOf(stack, source, columns);
  const signed = async (): Promise<SignedTarget> => ({
    baseUrl: stack.baseUrl,
    ca: stack.ca,
    token: await source.token(),
    webhookSecret: source.webhookSecret,
  });
  const account = new CpuAccount(load.pid, stack.databaseName);
  const conditions: SyncResults['conditions'] = {};
  const condition = (name: string, m: Measured<unknown>) =>
    (conditions[name] = { attempts: m.attempts, backgroundCores: m.backgroundCores });

  log(
    `• signed single updates: ${options.connections} connections, ${options.seconds} s after ${options.warmupSeconds} s warm-up`,
  );
  const groups = stack.app.get(ChangeGroupCommit);
  // The last attempt's (a run measured again after other work disturbed it replaces the one before).
  let groupsBefore = groups.stats();
  let groupsAfter = groupsBefore;
  const profiler = options.profile ? new CpuProfiler() : undefined;
  await profiler?.start();
  const singleApi = await measureQuietly(options.waitQuietSeconds, account, async () => {
    const target = await signed();
    groupsBefore = groups.stats();
    const result = await load.run<UpdateRunResult>({
      kind: 'http-updates',
      target,
      ids: apiIds,
      changes,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
    });
    groupsAfter = groups.stats();
    return result;
  });
  const profile = await profiler?.stop(
    join(reportsDir(), `sync-${stamp(startedAt)}-api-single-updates.cpuprofile`),
  );
  condition('singleApi', singleApi);
  if (!singleApi.result.results.applied)
    throw new Error(`no update was applied: ${JSON.stringify(singleApi.result.statusCodes)}`);

  log(`• raw pg, one transaction per update: ${options.connections} connections, ${options.seconds} s`);
  const singleRaw = await measureQuietly(
    options.waitQuietSeconds,
    account,
    () =>
      load.run<UpdateRunResult>({
        kind: 'pg-updates',
        target: rawTarget,
        ids: rawIds,
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
      }),
    { sampleEveryMs: 500 },
  );
  condition('singleRaw', singleRaw);

  const batchSize = Math.min(BATCH_SIZE, apiIds.length);
  log(`• ${fmt(batchSize)}-update batches: ${options.batchConnections} connection(s), ${options.seconds} s`);
  const batchApi = await measureQuietly(options.waitQuietSeconds, account, async () =>
    load.run<BatchRunResult>({
      kind: 'http-batches',
      target: await signed(),
      ids: apiIds,
      changes,
      batchSize,
      connections: options.batchConnections,
      warmupBatches: 1,
      seconds: options.seconds,
    }),
  );
  condition('batchApi', batchApi);
  log(`• raw pg batched upsert, one transaction per ${fmt(batchSize)}: ${options.seconds} s`);
  const batchRaw = await measureQuietly(
    options.waitQuietSeconds,
    account,
    () =>
      load.run<BatchRunResult>({
        kind: 'pg-batches',
        target: rawTarget,
        ids: rawIds,
        batchSize,
        connections: options.batchConnections,
        warmupBatches: 1,
        seconds: options.seconds,
      }),
    { sampleEveryMs: 500 },
  );
  condition('batchRaw', batchRaw);

  const transactions = groupsAfter.transactions - groupsBefore.transactions;
  const committed = groupsAfter.changes - groupsBefore.changes;
  return {
    columns,
    seeding: {
      members: seeding.members,
      seconds: round(seeding.seconds, 1),
      perSecond: seeding.perSecond ?? Math.round(seeding.members / seeding.seconds),
    },
    single: {
      api: withCpu(singleApi),
      raw: withCpu(singleRaw),
      share: round(singleApi.result.perSecond / singleRaw.result.perSecond, 4),
      apiCpuPerUpdateUs: cpuPerRequestUs(singleApi),
      groupCommit: {
        transactions,
        changes: committed,
        changesPerTransaction: transactions ? round(committed / transactions, 2) : 0,
      },
      ...(profile ? { profile } : {}),
    },
    batch: {
      size: batchSize,
      api: withCpu(batchApi),
      raw: withCpu(batchRaw),
      share: round(batchApi.result.updatesPerSecond / batchRaw.result.updatesPerSecond, 4),
    },
    conditions,
  };
}

/** The ciphertext length the API writes in each updated column (the raw baseline writes as many bytes). */
export async function rawColumns(stack: BenchStack): Promise<RawTarget['columns']> {
  const columns: RawTarget['columns'] = [];
  for (const field of UPDATED_FIELDS) {
    const column = encryptedColumn(field);
    const [{ bytes }] = await query<{ bytes: number }>(
      stack.databaseUrl,
      `select round(avg(octet_length("${column}")))::int as bytes from member`,
    );
    columns.push({ column, bytes });
  }
  return columns;
}

/** What the raw write path needs to write the same rows as the API's for the bench source. */
export function rawTargetOf(
  stack: BenchStack,
  source: BenchSource,
  columns: RawTarget['columns'],
): RawTarget {
  return {
    databaseUrl: stack.databaseUrl,
    partnerId: source.partnerId,
    columns,
    fields: UPDATED_FIELDS,
    categories: UPDATED_CATEGORIES,
    sender: source.partnerId,
    clientId: source.clientId,
  };
}

function judged(results: SyncResults): SyncVerdict[] {
  const { single, batch, convergence } = results;
  return judgeSync({
    single: {
      apiPerSecond: single.api.perSecond,
      apiP99: single.api.p99,
      apiErrors: single.api.errors,
      rawPerSecond: single.raw.perSecond,
      rawP99: single.raw.p99,
    },
    batch: {
      apiUpdatesPerSecond: batch.api.updatesPerSecond,
      apiErrors: batch.api.batches.errors,
      rawUpdatesPerSecond: batch.raw.updatesPerSecond,
    },
    convergence: convergence && { converged: convergence.converged, seconds: convergence.totalSeconds },
  });
}

const DESCRIBE: Record<string, string> = {
  singleShareOfRaw: `≥ ${SYNC_TARGETS.singleShareOfRaw}× raw tx/s`,
  singleP99Ms: `p99 ≤ ${SYNC_TARGETS.singleP99Ms} ms`,
  singleErrors: 'no errors',
  batchShareOfRaw: `≥ ${SYNC_TARGETS.batchShareOfRaw}× raw updates/s`,
  batchErrors: 'no errors',
  convergence: 'converged',
};

const toVerdicts = (verdicts: SyncVerdict[], prefix: string) =>
  verdicts
    .filter((v) => v.target.startsWith(prefix))
    .map((v) => ({
      target: v.target,
      description: DESCRIBE[v.target] ?? v.target,
      value: v.value,
      pass: v.pass,
    }));

/** The suite's results-file entry: single updates, batches and the convergence scenario, per size. */
function syncSuiteResult(
  runs: SizeRun[],
  options: SyncOptions,
  meta: SuiteMeta,
  report: string,
): SuiteResult {
  const scenarios: SuiteResult['scenarios'] = {};
  for (const run of runs) {
    const { single, batch, convergence } = run.results;
    const updatesServed = (r: UpdateRunResult) => r.requests + r.errors + r.warmupRequests;
    addScenario(
      scenarios,
      'singleUpdates',
      {
        label: `POST /members/{id}/updates (signed), ${options.connections} conn`,
        unit: 'req/s',
        baselineLabel:
          "the write path's statements on a pg Pool, one transaction per update (lock, update + member_change, audit chain, applied event, outbox)",
      },
      run.members,
      {
        ours: figuresOf(single.api, single.api.cpu, updatesServed(single.api), 'ours'),
        baseline: figuresOf(single.raw, single.raw.cpu, updatesServed(single.raw), 'baseline'),
        verdicts: toVerdicts(run.verdicts, 'single'),
      },
    );
    // Per batch: throughput in updates/s, latency per batch, CPU per update.
    const batchFigures = (b: BatchRunResult & { cpu: CpuBreakdown | null }, side: 'ours' | 'baseline') =>
      figuresOf(
        { perSecond: b.updatesPerSecond, p50: b.batches.p50, p99: b.batches.p99, errors: b.batches.errors },
        b.cpu,
        b.updates + b.batches.errors * batch.size,
        side,
      );
    addScenario(
      scenarios,
      'batches',
      {
        label: `POST /sync/batches of ${fmt(batch.size)}, ${options.batchConnections} conn (latency per batch, CPU per update)`,
        unit: 'updates/s',
        baselineLabel: 'the same rows as one transaction of multi-row statements per batch',
      },
      run.members,
      {
        ours: batchFigures(batch.api, 'ours'),
        baseline: batchFigures(batch.raw, 'baseline'),
        verdicts: toVerdicts(run.verdicts, 'batch'),
      },
    );
    if (convergence)
      addScenario(
        scenarios,
        'convergence',
        {
          label: `convergence: ${fmt(convergence.members)} sim members, ${fmt(convergence.changes)} changes, 20% dropped (own stack, whole scenario)`,
          unit: 'changes/s',
          baselineLabel: null,
        },
        run.members,
        {
          ours: {
            throughput: num(convergence.changes / convergence.totalSeconds, 0),
            p50: null,
            p99: null,
            cpuMsPerRequest: null,
            pgCpuMsPerRequest: null,
            peakRssMb: null,
            errors: convergence.differingAfterPoll,
          },
          baseline: null,
          verdicts: toVerdicts(run.verdicts, 'convergence'),
        },
      );
  }
  return suiteResultOf('sync', meta, {
    seeding: Object.fromEntries(runs.map((r) => [String(r.members), r.results.seeding])),
    scenarios,
    report,
  });
}

function writeSyncReport(runs: SizeRun[], options: SyncOptions, meta: SuiteMeta): string {
  return writeSuiteReport('sync', meta, {
    options,
    targets: SYNC_TARGETS,
    updatedFields: UPDATED_FIELDS,
    sizes: runs.map((r) => ({
      members: r.members,
      rawCiphertextBytes: r.columns,
      results: r.results,
      verdicts: r.verdicts,
      table: r.lines,
    })),
  });
}

/** Measures one population and prints its table; convergence (its own stack) only when `withConvergence`. */
async function runSize(
  ctx: Parameters<typeof measureSyncSize>[0],
  withConvergence: boolean,
  beforeConvergence: () => Promise<void>,
): Promise<SizeRun> {
  const { columns, ...measured } = await measureSyncSize(ctx);
  const [settings] = await query<{ server_version: string; synchronous_commit: string }>(
    ctx.stack.databaseUrl,
    "select current_setting('server_version') as server_version, current_setting('synchronous_commit') as synchronous_commit",
  ).catch(() => [{ server_version: '?', synchronous_commit: '?' }]);
  await beforeConvergence();
  const convergence =
    withConvergence && ctx.options.convergence
      ? await runConvergence({ ...ctx.options.convergence, seed: 4242, dropRate: 0.2, duplicateRate: 0.05 })
      : null;
  const results: SyncResults = { ...measured, convergence };
  const verdicts = judged(results);
  const lines = table(results, verdicts, ctx.options, {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim(),
    postgres: settings.server_version,
    synchronousCommit: settings.synchronous_commit,
  });
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return { members: ctx.seeding.members, results, verdicts, columns, lines };
}

const newSyncLoad = () =>
  new ForkedTasks<SyncLoadTask, SyncLoadResult>(join(__dirname, `sync-load-process${extname(__filename)}`));

/** The suite as `npm run bench` runs it: on each size's shared population; convergence once (it has its own stack). */
export function syncSession(argv: string[]): SuiteSession {
  const options = parseSyncOptions(argv);
  const runs: SizeRun[] = [];
  return {
    name: 'sync',
    measure: async (population: Population) => {
      const load = newSyncLoad();
      const release = onInterrupt(() => load.close());
      try {
        runs.push(
          await runSize(
            {
              stack: population.stack,
              load,
              source: await population.source(),
              organizationId: population.organizationId,
              options,
              seeding: population.seeding,
              startedAt: new Date(),
            },
            runs.length === 0,
            () => Promise.resolve(),
          ),
        );
      } finally {
        await release();
      }
    },
    finish: (meta) => syncSuiteResult(runs, options, meta, writeSyncReport(runs, options, meta)),
  };
}

/** `npm run bench -- sync`: seeds its own stack, measures, then runs the convergence scenario. */
export async function syncBench(argv: string[]): Promise<SuiteResult> {
  const options = parseSyncOptions(argv);
  return runStandalone('sync', argv, options.quick, newSyncLoad, async ({ stack, load, meta, release }) => {
    log(`• seeding ${fmt(options.members)} members (seed ${options.seed}) through the encryption path`);
    const seeding = await seedMembers(stack, {
      from: 0,
      to: options.members,
      seed: options.seed,
      system: 'bench:sync',
    });
    const source = await benchSource(stack, seeding.organizationId);
    log('• vacuum analyze + checkpoint, so seeding leaves no background work behind');
    await settle(stack, ['member', 'member_key', 'member_change', 'audit_event']);
    // The convergence scenario runs on a stack of its own: this one is closed first.
    const run = await runSize(
      {
        stack,
        load,
        source,
        organizationId: seeding.organizationId,
        options,
        seeding,
        startedAt: meta.startedAt,
      },
      true,
      release,
    );
    return syncSuiteResult([run], options, meta, writeSyncReport([run], options, meta));
  });
}

function table(
  r: SyncResults,
  verdicts: SyncVerdict[],
  options: SyncOptions,
  environment: Record<string, unknown>,
): string[] {
  const rows: Array<[string, string]> = [];
  const cpu = (c: CpuBreakdown | null | undefined) =>
    c ? [c.api, c.postgres, c.redis, c.load, c.irq, c.other].map((v) => fmt(v, 2)).join(' / ') : '-';
  const latency = (s: { p50: number; p99: number }) => `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)}`;
  const tally = (t: Record<string, number>) =>
    Object.entries(t)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ') || '-';
  rows.push([
    'seeding (members/s)',
    `${fmt(r.seeding.perSecond)} (${fmt(r.seeding.members)} in ${fmt(r.seeding.seconds)} s)`,
  ]);
  const s = r.single;
  rows.push([`POST /members/{id}/updates, ${options.connections} conn (req/s)`, fmt(s.api.perSecond)]);
  rows.push(['  p50 / p99 ms', latency(s.api)]);
  rows.push(['  errors (non-2xx, socket, not applied)', fmt(s.api.errors)]);
  rows.push(['  results', tally(s.api.results)]);
  rows.push([
    '  group commit: changes per transaction',
    `${fmt(s.groupCommit.changesPerTransaction, 2)} (${fmt(s.groupCommit.changes)} in ${fmt(s.groupCommit.transactions)})`,
  ]);
  rows.push(['  cores: API/pg/redis/load/irq/other', cpu(s.api.cpu)]);
  rows.push(['  API CPU per update (µs)', fmt(s.apiCpuPerUpdateUs ?? Number.NaN)]);
  rows.push([`raw pg, 1 transaction per update, ${options.connections} conn (tx/s)`, fmt(s.raw.perSecond)]);
  rows.push(['  p50 / p99 ms', latency(s.raw)]);
  rows.push(['  errors', `${fmt(s.raw.errors)} ${tally(s.raw.statusCodes)}`]);
  rows.push(['  cores: API/pg/redis/load/irq/other', cpu(s.raw.cpu)]);
  const b = r.batch;
  rows.push([
    `POST /sync/batches, ${fmt(b.size)} updates, ${options.batchConnections} conn (updates/s)`,
    fmt(b.api.updatesPerSecond),
  ]);
  rows.push(['  batch p50 / p99 ms', latency(b.api.batches)]);
  rows.push([
    '  batches / failed; body bytes',
    `${fmt(b.api.batches.requests)} / ${fmt(b.api.batches.errors)}; ${fmt(b.api.bodyBytes)}`,
  ]);
  rows.push(['  results', tally(b.api.results)]);
  rows.push(['  cores: API/pg/redis/load/irq/other', cpu(b.api.cpu)]);
  rows.push(['raw pg batched upsert, 1 transaction per batch (updates/s)', fmt(b.raw.updatesPerSecond)]);
  rows.push(['  batch p50 / p99 ms', latency(b.raw.batches)]);
  rows.push(['  cores: API/pg/redis/load/irq/other', cpu(b.raw.cpu)]);
  const c = r.convergence;
  if (c) {
    rows.push([
      `convergence ${fmt(c.members)} members / ${fmt(c.changes)} changes: webhooks (s)`,
      `${fmt(c.webhooksSeconds, 2)} (${fmt(c.webhooks.sent)} sent, ${fmt(c.webhooks.dropped)} dropped, ${fmt(c.webhooks.duplicated)} duplicated)`,
    ]);
    rows.push(['  members differing before the poll', fmt(c.differingBeforePoll)]);
    rows.push([
      '  one poll (s)',
      `${fmt(c.pollSeconds, 2)} (processed ${String(c.poll.processed)}, applied ${String(c.poll.applied)}, rejected ${String(c.poll.rejected)})`,
    ]);
    rows.push(['  total (s)', fmt(c.totalSeconds, 2)]);
    rows.push([
      '  after: ours / sim / differing; events recorded / distinct',
      `${fmt(c.counts.ours)} / ${fmt(c.counts.sim)} / ${fmt(c.differingAfterPoll)}; ${fmt(c.counts.appliedEvents)} / ${fmt(c.counts.distinctEvents)}`,
    ]);
    rows.push(['  raw equivalent', 'none (sim sender + ingest + poll, end to end)']);
  }
  if (s.profile) {
    rows.push(['profile of the single updates: busy ms', fmt(s.profile.busyMs)]);
    for (const component of s.profile.byComponent)
      if (component.share > 0) rows.push([`  ${component.component} (% of busy)`, fmt(component.share, 1)]);
    rows.push(['  profile file', s.profile.file]);
  }
  rows.push([
    'attempts (quiet-machine reruns)',
    tally(Object.fromEntries(Object.entries(r.conditions).map(([k, v]) => [k, v.attempts]))),
  ]);

  const lines = [
    `sync bench: ${String(environment.cpus)} vCPU (${String(environment.cpuModel)}), Node ${process.version}, PostgreSQL ${String(environment.postgres)} (synchronous_commit ${String(environment.synchronousCommit)})`,
    `${fmt(options.members)} members (half for the API, half for raw pg); ${options.seconds} s runs after ${options.warmupSeconds} s warm-up; each update: contact.phone + coverage.planCode/coverageTier`,
    '',
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  for (const [label, value] of rows) lines.push(`${label.padEnd(width)}   ${value}`);
  lines.push('', 'targets (issue 10)', ...verdictLines(verdicts));
  return lines;
}
