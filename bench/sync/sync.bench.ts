import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { extname, join } from 'node:path';
import { MemberSeeder, SyntheticMemberGenerator } from '@app/members';
import { ChangeGroupCommit } from '@app/sync';
import { encryptedColumn, type MemberField } from '../../libs/members/src/catalog/field-catalog';
import { defaultBenchStackOptions, startBenchStack } from '../support/bench-stack';
import { CpuAccount, type CpuBreakdown } from '../support/cpu-account';
import { CpuProfiler, type ProfileSummary } from '../support/cpu-profile';
import { ForkedTasks } from '../support/forked-tasks';
import { round } from '../support/latency-stats';
import { measureQuietly, type Measured } from '../support/quiet-measure';
import { benchSource } from '../support/source-partner';
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
import { fmt, gitState, log, query, reportsDir, stamp } from '../support/bench-report';

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

export async function syncBench(argv: string[]): Promise<void> {
  const options = parseSyncOptions(argv);
  const startedAt = new Date();
  const stack = await startBenchStack(defaultBenchStackOptions());
  log(`• database ${stack.databaseName}, API on ${stack.baseUrl} (dropped at the end, also on Ctrl-C)`);
  const load = new ForkedTasks<SyncLoadTask, SyncLoadResult>(
    join(__dirname, `sync-load-process${extname(__filename)}`),
  );
  let closing: Promise<void> | undefined;
  const shutdown = () => (closing ??= (load.close(), stack.close()));
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n• ${signal}: dropping ${stack.databaseName}`);
    void shutdown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const [{ server_version: postgres }] = await query<{ server_version: string }>(
      stack.databaseUrl,
      'show server_version',
    );
    const [{ synchronous_commit: synchronousCommit }] = await query<{ synchronous_commit: string }>(
      stack.databaseUrl,
      'show synchronous_commit',
    );
    const environment = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim(),
      memoryGb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      postgres,
      synchronousCommit,
      databasePoolMax: stack.config.database.poolMax,
      git: gitState(),
    };

    log(`• seeding ${fmt(options.members)} members (seed ${options.seed}) through the encryption path`);
    const seeding = await stack.app.get(MemberSeeder).seed({
      actor: {
        system: 'bench:sync',
        request: { ip: 'local', method: 'CLI', route: 'bench sync', requestId: randomUUID() },
      },
      members: options.members,
      seed: options.seed,
      batchSize: 1000,
    });
    const organizationId = seeding.organizationId;
    const source = await benchSource(stack, organizationId);
    log('• vacuum analyze + checkpoint, so seeding leaves no background work behind');
    for (const table of ['member', 'member_key', 'member_change', 'audit_event'])
      await query(stack.databaseUrl, `vacuum (analyze) ${table}`);
    await query(stack.databaseUrl, 'checkpoint');

    // Two disjoint halves: the raw baseline writes bytes that are no ciphertext, so the API never reads its members.
    const ids = (
      await query<{ id: string }>(
        stack.databaseUrl,
        'select id from member where organization_id = $1 order by md5(id)',
        [organizationId],
      )
    ).map((r) => r.id);
    const apiIds = ids.filter((_, i) => i % 2 === 0);
    const rawIds = ids.filter((_, i) => i % 2 === 1);
    const changes = updateChanges(new SyntheticMemberGenerator(options.seed + 1).members(0, 2000));
    const columns: RawTarget['columns'] = [];
    for (const field of UPDATED_FIELDS) {
      const column = encryptedColumn(field);
      const [{ bytes }] = await query<{ bytes: number }>(
        stack.databaseUrl,
        `select round(avg(octet_length("${column}")))::int as bytes from member`,
      );
      columns.push({ column, bytes });
    }
    const rawTarget: RawTarget = {
      databaseUrl: stack.databaseUrl,
      partnerId: source.partnerId,
      columns,
      fields: UPDATED_FIELDS,
      categories: UPDATED_CATEGORIES,
      sender: source.partnerId,
      clientId: source.clientId,
    };
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
    log(
      `• ${fmt(batchSize)}-update batches: ${options.batchConnections} connection(s), ${options.seconds} s`,
    );
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
    // The convergence scenario runs on a stack of its own: this one is done.
    await shutdown();

    const convergence = options.convergence
      ? await runConvergence({
          ...options.convergence,
          seed: 4242,
          dropRate: 0.2,
          duplicateRate: 0.05,
        })
      : null;

    const transactions = groupsAfter.transactions - groupsBefore.transactions;
    const committed = groupsAfter.changes - groupsBefore.changes;
    const results: SyncResults = {
      seeding: {
        members: seeding.members,
        seconds: round(seeding.seconds, 1),
        perSecond: Math.round(seeding.members / seeding.seconds),
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
      convergence,
      conditions,
    };
    const verdicts = judgeSync({
      single: {
        apiPerSecond: singleApi.result.perSecond,
        apiP99: singleApi.result.p99,
        apiErrors: singleApi.result.errors,
        rawPerSecond: singleRaw.result.perSecond,
        rawP99: singleRaw.result.p99,
      },
      batch: {
        apiUpdatesPerSecond: batchApi.result.updatesPerSecond,
        apiErrors: batchApi.result.batches.errors,
        rawUpdatesPerSecond: batchRaw.result.updatesPerSecond,
      },
      convergence: convergence && { converged: convergence.converged, seconds: convergence.totalSeconds },
    });
    const lines = table(results, verdicts, options, environment);
    process.stdout.write(`\n${lines.join('\n')}\n`);
    const report = {
      benchmark: 'sync',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      environment,
      options,
      targets: SYNC_TARGETS,
      updatedFields: UPDATED_FIELDS,
      rawCiphertextBytes: columns,
      results,
      verdicts,
      table: lines,
    };
    const file = join(reportsDir(), `sync-${stamp(startedAt)}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\nreport: ${file}\n`);
  } finally {
    await shutdown();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
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
