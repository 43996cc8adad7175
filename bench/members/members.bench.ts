import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { SyntheticMemberGenerator } from '@app/members';
import { type ApiProcesses, type BenchStack } from '../support/bench-stack';
import { fmt, log, query, reportsDir, stamp } from '../support/bench-report';
import { CpuAccount, type CpuBreakdown } from '../support/cpu-account';
import { CpuProfiler, type ProfileSummary } from '../support/cpu-profile';
import { expectStatus, httpsJson } from '../support/https-json';
import { round } from '../support/latency-stats';
import { LoadClient } from '../support/load-client';
import type { ListResult, ReadResult } from '../support/load-tasks';
import { benchPartnerClient } from '../support/partner-client';
import { sampleIds, seedMembers, settle, type Population } from '../support/population';
import { measureQuietly, type Measured } from '../support/quiet-measure';
import { addScenario, figuresOf, type SuiteResult, type Verdict as ResultVerdict } from '../support/results';
import { onInterrupt } from '../support/run-context';
import { runStandalone } from '../support/standalone';
import { suiteResultOf, writeSuiteReport, type SuiteMeta, type SuiteSession } from '../support/suite-session';

/** Issue 9's targets, the one place the bench keeps them: the table and the report judge against these. */
const TARGETS = {
  /** Reads by id at `--connections` keep-alive HTTPS connections vs raw PK selects on as many connections, same run. */
  readShareOfRawSelect: 0.4,
  readP99Ms: 25,
  /** Reads by id, one keep-alive connection, sequential requests. */
  singleConnectionReadP50Ms: 2,
  listP99Ms: 30,
  /** List latency at the largest size vs the smallest (p50 and p99). */
  listGrowth: 1.2,
};

interface Options {
  listSizes: number[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  seed: number;
  batchSize: number;
  walks: number;
  pagesPerWalk: number;
  readSample: number;
  profile: boolean;
  waitQuietSeconds: number;
  /** The multi-process read run: this many API processes on one port, as API_PROCESSES starts them (1 = skip). */
  apiProcesses: number;
}

interface DatabaseWork {
  transactions: number;
  rowsInserted: number;
  rowsFetched: number;
}

type Accounted<T> = T & {
  cpu: CpuBreakdown | null;
  /** API process CPU per request (warm-up included, as the accounting spans it), µs. */
  cpuPerReadUs: number | null;
};

interface SizeResult {
  members: number;
  seeding: { members: number; seconds: number; perSecond: number };
  reads: {
    api: Accounted<ReadResult> & { databasePerRequest: DatabaseWork };
    rawSelect: ReadResult & { cpu: CpuBreakdown | null };
    share: number;
    /** One keep-alive connection, sequential requests; the raw select on one connection beside it. */
    singleConnection: { api: Accounted<ReadResult>; rawSelect: ReadResult & { cpu: CpuBreakdown | null } };
    /** The same read load against several API processes sharing one port (null with --api-processes 1). */
    processes: { count: number; api: Accounted<ReadResult>; share: number } | null;
  };
  list: ListResult & { cpu: CpuBreakdown | null };
  /** Attempts per phase (a run during which other work used the machine is repeated) and the idle check before. */
  conditions: Record<
    'reads' | 'rawSelect' | 'singleConnection' | 'rawSingleConnection' | 'processes' | 'list',
    { attempts: number; backgroundCores: number | null } | null
  >;
  profile?: ProfileSummary;
}

const USAGE = `usage: npm run bench -- members [--list-sizes 10000,1000000] [--connections 32] [--duration 15]
       [--warmup 3] [--seed 20261123] [--batch-size 1000] [--walks 40] [--pages 5] [--read-sample 20000]
       [--wait-quiet 120] [--api-processes 2] [--profile]`;

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, fallback: number, min = 1) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new Error(`${USAGE}\n${name} must be an integer ≥ ${min}`);
    return Number(raw);
  };
  const sizes = (value('--list-sizes') ?? '10000,1000000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 1000))
    throw new Error(`${USAGE}\nlist sizes are ≥ 1000`);
  return {
    listSizes: [...new Set(sizes)].sort((a, b) => a - b),
    connections: int('--connections', 32),
    seconds: int('--duration', 15),
    warmupSeconds: int('--warmup', 3, 0),
    seed: int('--seed', 20261123, 0),
    batchSize: int('--batch-size', 1000),
    walks: int('--walks', 40),
    pagesPerWalk: int('--pages', 5),
    readSample: int('--read-sample', 20000),
    profile: argv.includes('--profile'),
    waitQuietSeconds: int('--wait-quiet', 120, 0),
    apiProcesses: int('--api-processes', 2),
  };
}

/** This database's cumulative counters (PostgreSQL flushes them within 10 s of a backend going idle). */
async function databaseWork(stack: BenchStack): Promise<DatabaseWork> {
  const [row] = await query<{ xact_commit: string; tup_inserted: string; tup_fetched: string }>(
    stack.databaseUrl,
    'select xact_commit, tup_inserted, tup_fetched from pg_stat_database where datname = $1',
    [stack.databaseName],
  );
  return {
    transactions: Number(row.xact_commit),
    rowsInserted: Number(row.tup_inserted),
    rowsFetched: Number(row.tup_fetched),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** API CPU seconds over the requests served while they were accounted (warm-up included), in µs. */
function cpuPerRead(measured: Measured<ReadResult>): number | null {
  const { cpu, result } = measured;
  const served = result.requests + result.errors + result.warmupRequests;
  return cpu && served ? Math.round((cpu.apiCpuSeconds / served) * 1e6) : null;
}

const accounted = (measured: Measured<ReadResult>): Accounted<ReadResult> => ({
  ...measured.result,
  cpu: measured.cpu,
  cpuPerReadUs: cpuPerRead(measured),
});

const conditionsOf = (measured: Measured<unknown> | null) =>
  measured ? { attempts: measured.attempts, backgroundCores: measured.backgroundCores } : null;

/** Reads one member back through the API and compares it with the generator: the data is real ciphertext. */
async function verifyOne(stack: BenchStack, token: string, seed: number, organizationId: string) {
  const [row] = await query<{ id: string; source_ref: string }>(
    stack.databaseUrl,
    'select id, source_ref from member where organization_id = $1 order by random() limit 1',
    [organizationId],
  );
  const res = await httpsJson(stack.ca, 'GET', `${stack.baseUrl}/api/v1/members/${row.id}`, { token });
  const {
    id: _i,
    organizationId: _o,
    version: _v,
    status: _s,
    updatedAt: _u,
    ...groups
  } = expectStatus(res, 200, 'verification read');
  const index = Number(row.source_ref.split('-').pop());
  const { sourceRef: _r, occurredAt: _a, ...expected } = new SyntheticMemberGenerator(seed).member(index);
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(groups)), JSON.parse(JSON.stringify(expected)))) {
    throw new Error(`member ${row.id} does not read back as generated (index ${index})`);
  }
}

interface Verdict {
  target: string;
  members: number;
  value: number;
  /** The raw baseline from the same run, where the target compares with one. */
  baseline?: number;
  pass: boolean;
}

/** Every target judged per list size (and the list's growth across sizes): the table and the report show these. */
function judge(results: SizeResult[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const r of results) {
    const at = (target: string, value: number, pass: boolean, baseline?: number) =>
      verdicts.push({
        target,
        members: r.members,
        value,
        pass,
        ...(baseline === undefined ? {} : { baseline }),
      });
    at(
      'readShare',
      r.reads.share,
      r.reads.share >= TARGETS.readShareOfRawSelect,
      r.reads.rawSelect.perSecond,
    );
    at('readP99Ms', r.reads.api.p99, r.reads.api.p99 <= TARGETS.readP99Ms, r.reads.rawSelect.p99);
    at('readErrors', r.reads.api.errors, r.reads.api.errors === 0);
    if (r.reads.processes) {
      const p = r.reads.processes;
      at('processesReadShare', p.share, p.share >= TARGETS.readShareOfRawSelect, r.reads.rawSelect.perSecond);
      at('processesReadP99Ms', p.api.p99, p.api.p99 <= TARGETS.readP99Ms, r.reads.rawSelect.p99);
      at('processesReadErrors', p.api.errors, p.api.errors === 0);
    }
    const one = r.reads.singleConnection;
    at(
      'singleConnectionReadP50Ms',
      one.api.p50,
      one.api.p50 <= TARGETS.singleConnectionReadP50Ms,
      one.rawSelect.p50,
    );
    at('listP99Ms', r.list.all.p99, r.list.all.p99 <= TARGETS.listP99Ms);
  }
  if (results.length >= 2) {
    const small = results[0];
    const large = results[results.length - 1];
    for (const q of ['p50', 'p99'] as const) {
      const growth = round(large.list.all[q] / small.list.all[q], 3);
      verdicts.push({
        target: `list${q.toUpperCase()}Growth`,
        members: large.members,
        value: growth,
        baseline: small.members,
        pass: growth <= TARGETS.listGrowth,
      });
    }
  }
  return verdicts;
}

function printTable(
  results: SizeResult[],
  verdicts: Verdict[],
  options: Options,
  environment: Record<string, unknown>,
): string[] {
  const rows: Array<[string, ...string[]]> = [];
  const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const n = options.apiProcesses;
  rows.push(['', ...results.map((r) => `${fmt(r.members)} members`)]);
  rows.push([
    'seeding (members/s)',
    ...results.map((r) => `${fmt(r.seeding.perSecond)} (${fmt(r.seeding.seconds)} s)`),
  ]);
  const cpu = (c: CpuBreakdown | null | undefined) =>
    c ? [c.api, c.postgres, c.redis, c.load, c.irq, c.other].map((v) => fmt(v, 2)).join(' / ') : '-';
  const latency = (s: { p50: number; p99: number } | undefined) =>
    s ? `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)}` : '-';
  rows.push([
    `GET /api/v1/members/{id}, 1 API process, ${options.connections} conn req/s`,
    ...results.map((r) => fmt(r.reads.api.perSecond)),
  ]);
  rows.push(['  p50 / p99 ms', ...results.map((r) => latency(r.reads.api))]);
  rows.push(['  errors (non-2xx + socket)', ...results.map((r) => fmt(r.reads.api.errors))]);
  rows.push(['  cores: API/pg/redis/load/irq/other', ...results.map((r) => cpu(r.reads.api.cpu))]);
  rows.push(['  API CPU per read (µs)', ...results.map((r) => fmt(r.reads.api.cpuPerReadUs ?? Number.NaN))]);
  rows.push([
    '  DB per request: transactions / rows in',
    ...results.map(
      (r) =>
        `${fmt(r.reads.api.databasePerRequest.transactions, 2)} / ${fmt(r.reads.api.databasePerRequest.rowsInserted, 2)}`,
    ),
  ]);
  rows.push([
    `raw pg SELECT by id, ${options.connections} conn q/s`,
    ...results.map((r) => fmt(r.reads.rawSelect.perSecond)),
  ]);
  rows.push(['  p50 / p99 ms', ...results.map((r) => latency(r.reads.rawSelect))]);
  rows.push(['  cores: API/pg/redis/load/irq/other', ...results.map((r) => cpu(r.reads.rawSelect.cpu))]);
  if (n > 1) {
    rows.push([
      `GET /api/v1/members/{id}, ${n} API processes, ${options.connections} conn req/s`,
      ...results.map((r) => fmt(r.reads.processes?.api.perSecond ?? Number.NaN)),
    ]);
    rows.push(['  p50 / p99 ms', ...results.map((r) => latency(r.reads.processes?.api))]);
    rows.push([
      '  errors (non-2xx + socket)',
      ...results.map((r) => fmt(r.reads.processes?.api.errors ?? Number.NaN)),
    ]);
    rows.push([
      '  cores: API (all)/pg/redis/load/irq/other',
      ...results.map((r) => cpu(r.reads.processes?.api.cpu)),
    ]);
    rows.push([
      '  API CPU per read (µs)',
      ...results.map((r) => fmt(r.reads.processes?.api.cpuPerReadUs ?? Number.NaN)),
    ]);
  }
  rows.push([
    'GET /api/v1/members/{id}, 1 conn p50 / p99 ms',
    ...results.map((r) => latency(r.reads.singleConnection.api)),
  ]);
  rows.push([
    '  API CPU per read (µs)',
    ...results.map((r) => fmt(r.reads.singleConnection.api.cpuPerReadUs ?? Number.NaN)),
  ]);
  rows.push([
    'raw pg SELECT by id, 1 conn p50 / p99 ms',
    ...results.map((r) => latency(r.reads.singleConnection.rawSelect)),
  ]);
  rows.push([
    `list limit=50 p50 / p99 ms (n=${options.walks * options.pagesPerWalk})`,
    ...results.map((r) => latency(r.list.all)),
  ]);
  rows.push(['  cores: API/pg/redis/load/irq/other', ...results.map((r) => cpu(r.list.cpu))]);
  rows.push([
    '  first page / cursor pages p50',
    ...results.map((r) => `${fmt(r.list.firstPage.p50, 2)} / ${fmt(r.list.cursorPages.p50, 2)}`),
  ]);
  if (results.some((r) => r.profile)) {
    rows.push([
      'profile of the 1-process reads: busy ms',
      ...results.map((r) => fmt(r.profile?.busyMs ?? Number.NaN)),
    ]);
    const components = results.find((r) => r.profile)!.profile!.byComponent.map((c) => c.component);
    for (const component of components)
      rows.push([
        `  ${component} (% of busy)`,
        ...results.map((r) =>
          fmt(r.profile?.byComponent.find((c) => c.component === component)?.share ?? Number.NaN, 1),
        ),
      ]);
  }
  const attempts = (c: SizeResult['conditions'][keyof SizeResult['conditions']]) =>
    c ? String(c.attempts) : '-';
  rows.push([
    `attempts: reads / raw / 1 conn / raw 1 conn / ${n} proc / list`,
    ...results.map((r) =>
      [
        r.conditions.reads,
        r.conditions.rawSelect,
        r.conditions.singleConnection,
        r.conditions.rawSingleConnection,
        r.conditions.processes,
        r.conditions.list,
      ]
        .map(attempts)
        .join(' / '),
    ),
  ]);

  // The targets, each beside the raw baseline it is judged against.
  const cell = (target: string, members: number, show: (v: Verdict) => string) => {
    const v = verdicts.find((x) => x.target === target && x.members === members);
    return v ? `${show(v)} ${pass(v.pass)}` : '-';
  };
  const targetRow = (label: string, target: string, show: (v: Verdict) => string) =>
    rows.push([label, ...results.map((r) => cell(target, r.members, show))]);
  rows.push(['', ...results.map(() => '')]);
  rows.push(['targets (issue 9)', ...results.map((r) => `${fmt(r.members)} members`)]);
  const pct = (v: Verdict) => `${fmt(v.value * 100, 1)}% of ${fmt(v.baseline ?? Number.NaN)} q/s`;
  const ms = (v: Verdict) =>
    `${fmt(v.value, 2)} ms${v.baseline === undefined ? '' : ` (raw ${fmt(v.baseline, 2)})`}`;
  targetRow(
    `read ${options.connections} conn, 1 process ≥ ${TARGETS.readShareOfRawSelect * 100}% of raw`,
    'readShare',
    pct,
  );
  targetRow(`  p99 ≤ ${TARGETS.readP99Ms} ms`, 'readP99Ms', ms);
  if (n > 1) {
    targetRow(
      `read ${options.connections} conn, ${n} processes ≥ ${TARGETS.readShareOfRawSelect * 100}% of raw`,
      'processesReadShare',
      pct,
    );
    targetRow(`  p99 ≤ ${TARGETS.readP99Ms} ms`, 'processesReadP99Ms', ms);
  }
  targetRow(`read 1 conn p50 ≤ ${TARGETS.singleConnectionReadP50Ms} ms`, 'singleConnectionReadP50Ms', ms);
  targetRow(`list limit=50 p99 ≤ ${TARGETS.listP99Ms} ms`, 'listP99Ms', ms);

  const lines = [
    `members bench: ${String(environment.cpus)} vCPU (${String(environment.cpuModel)}), Node ${process.version}, PostgreSQL ${String(environment.postgres)}`,
    `${options.connections} keep-alive HTTPS connections, ${options.seconds} s after ${options.warmupSeconds} s warm-up; raw pg: Pool of ${options.connections}, same ids`,
    '',
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('   ')
        .trimEnd(),
    );
  const growth = verdicts.filter((v) => v.target.startsWith('list') && v.target.endsWith('Growth'));
  if (growth.length) {
    const [p50, p99] = growth;
    lines.push(
      '',
      `list latency ${fmt(p50.members)} vs ${fmt(p50.baseline ?? Number.NaN)} (≤ ${TARGETS.listGrowth}×): p50 ${fmt(p50.value, 2)}× ${pass(p50.pass)}, p99 ${fmt(p99.value, 2)}× ${pass(p99.pass)}`,
    );
  }
  const failed = verdicts.filter((v) => !v.pass);
  lines.push(
    '',
    failed.length
      ? `${failed.length} of ${verdicts.length} checks FAIL: ${failed.map((v) => `${v.target}@${fmt(v.members)}`).join(', ')}`
      : `all ${verdicts.length} checks PASS`,
  );
  return lines;
}

/** One size's measurement on a seeded stack: what the per-size loop of the suite runs. */
interface SizeContext {
  stack: BenchStack;
  load: LoadClient;
  options: Options;
  organizationId: string;
  token: () => Promise<string>;
  /** A shared population's figures carry their rate (measured before rounding the seconds). */
  seeding: { members: number; seconds: number; perSecond?: number };
  size: number;
  /** The generator seed the members were made with (the read-back check regenerates one). */
  seed: number;
  startedAt: Date;
  /** The API processes of the multi-process run, started once per stack. */
  cluster: { processes?: ApiProcesses };
}

async function measureSize(ctx: SizeContext): Promise<SizeResult> {
  const { stack, load, options, organizationId, token, seeding, size, startedAt } = ctx;
  const waitQuiet = options.waitQuietSeconds;
  const bearer = await token();
  await verifyOne(stack, bearer, ctx.seed, organizationId);
  const ids = await sampleIds(stack, organizationId, options.readSample);

  log(`• ${fmt(size)}: GET /api/v1/members/{id}, ${options.connections} connections, ${options.seconds} s`);
  const account = new CpuAccount(load.pid, stack.databaseName);
  // PostgreSQL publishes a backend's counters within 10 s of it going idle.
  await pause(11_000);
  const workBefore = await databaseWork(stack);
  let served = 0;
  const profiler = options.profile ? new CpuProfiler() : undefined;
  await profiler?.start();
  const api = await measureQuietly(
    waitQuiet,
    account,
    () =>
      load.run({
        kind: 'http-reads',
        baseUrl: stack.baseUrl,
        token: bearer,
        ids,
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
      }),
    { onAttempt: (r) => (served += r.requests + r.warmupRequests) },
  );
  const profile = await profiler?.stop(
    join(reportsDir(), `members-${stamp(startedAt)}-api-reads-${size}.cpuprofile`),
  );
  await pause(11_000);
  const workAfter = await databaseWork(stack);
  const databasePerRequest = {
    transactions: round((workAfter.transactions - workBefore.transactions) / served, 2),
    rowsInserted: round((workAfter.rowsInserted - workBefore.rowsInserted) / served, 2),
    rowsFetched: round((workAfter.rowsFetched - workBefore.rowsFetched) / served, 2),
  };

  log(`• ${fmt(size)}: raw pg SELECT by id, ${options.connections} connections, ${options.seconds} s`);
  const rawSelect = await measureQuietly(
    waitQuiet,
    account,
    () =>
      load.run({
        kind: 'pg-reads',
        databaseUrl: stack.databaseUrl,
        ids,
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
      }),
    { sampleEveryMs: 500 },
  );

  log(
    `• ${fmt(size)}: GET /api/v1/members/{id} and raw pg SELECT by id, 1 connection, ${options.seconds} s each`,
  );
  const singleConnection = await measureQuietly(waitQuiet, account, () =>
    load.run({
      kind: 'http-reads',
      baseUrl: stack.baseUrl,
      token: bearer,
      ids,
      connections: 1,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
    }),
  );
  const rawSingleConnection = await measureQuietly(
    waitQuiet,
    account,
    () =>
      load.run({
        kind: 'pg-reads',
        databaseUrl: stack.databaseUrl,
        ids,
        connections: 1,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
      }),
    { sampleEveryMs: 500 },
  );

  let processes: Measured<ReadResult> | null = null;
  if (options.apiProcesses > 1) {
    if (!ctx.cluster.processes) {
      log(
        `• starting ${options.apiProcesses} API processes on one port (the launcher's API_PROCESSES cluster)`,
      );
      ctx.cluster.processes = await stack.startApiProcesses(options.apiProcesses);
    }
    const apis = ctx.cluster.processes;
    expectStatus(
      await httpsJson(stack.ca, 'GET', `${apis.baseUrl}/api/v1/members/${ids[0]}`, { token: bearer }),
      200,
      'read through the API processes',
    );
    log(
      `• ${fmt(size)}: GET /api/v1/members/{id}, ${options.apiProcesses} API processes, ${options.connections} connections, ${options.seconds} s`,
    );
    processes = await measureQuietly(
      waitQuiet,
      new CpuAccount(load.pid, stack.databaseName, () => apis.pids()),
      () =>
        load.run({
          kind: 'http-reads',
          baseUrl: apis.baseUrl,
          token: bearer,
          ids,
          connections: options.connections,
          warmupSeconds: options.warmupSeconds,
          seconds: options.seconds,
        }),
    );
  }

  log(
    `• ${fmt(size)}: GET /api/v1/members?limit=50, ${options.walks} walks of ${options.pagesPerWalk} pages`,
  );
  const listToken = await token();
  const list = await measureQuietly(waitQuiet, account, () =>
    load.run({
      kind: 'list-walks',
      baseUrl: stack.baseUrl,
      ca: stack.ca,
      token: listToken,
      walks: options.walks,
      pagesPerWalk: options.pagesPerWalk,
      limit: 50,
    }),
  );
  log(
    `  reads ${fmt(api.result.perSecond)} req/s (p99 ${fmt(api.result.p99, 1)} ms), raw ${fmt(rawSelect.result.perSecond)} q/s, 1 conn p50 ${fmt(singleConnection.result.p50, 2)} ms, ${processes ? `${options.apiProcesses} processes ${fmt(processes.result.perSecond)} req/s, ` : ''}list p50 ${fmt(list.result.all.p50, 1)} ms`,
  );
  return {
    members: size,
    seeding: {
      members: seeding.members,
      seconds: round(seeding.seconds, 1),
      perSecond: seeding.perSecond ?? Math.round(seeding.members / seeding.seconds),
    },
    reads: {
      api: { ...accounted(api), databasePerRequest },
      rawSelect: { ...rawSelect.result, cpu: rawSelect.cpu },
      share: round(api.result.perSecond / rawSelect.result.perSecond, 4),
      singleConnection: {
        api: accounted(singleConnection),
        rawSelect: { ...rawSingleConnection.result, cpu: rawSingleConnection.cpu },
      },
      processes: processes && {
        count: options.apiProcesses,
        api: accounted(processes),
        share: round(processes.result.perSecond / rawSelect.result.perSecond, 4),
      },
    },
    list: { ...list.result, cpu: list.cpu },
    conditions: {
      reads: conditionsOf(api),
      rawSelect: conditionsOf(rawSelect),
      singleConnection: conditionsOf(singleConnection),
      rawSingleConnection: conditionsOf(rawSingleConnection),
      processes: conditionsOf(processes),
      list: conditionsOf(list),
    },
    ...(profile ? { profile } : {}),
  };
}

/** What each of issue 9's targets means, for the results table. */
const DESCRIBE: Record<string, string> = {
  readShare: `≥ ${TARGETS.readShareOfRawSelect * 100}% of raw req/s`,
  readP99Ms: `p99 ≤ ${TARGETS.readP99Ms} ms`,
  readErrors: 'no errors',
  processesReadShare: `≥ ${TARGETS.readShareOfRawSelect * 100}% of raw req/s`,
  processesReadP99Ms: `p99 ≤ ${TARGETS.readP99Ms} ms`,
  processesReadErrors: 'no errors',
  singleConnectionReadP50Ms: `p50 ≤ ${TARGETS.singleConnectionReadP50Ms} ms`,
  listP99Ms: `p99 ≤ ${TARGETS.listP99Ms} ms`,
  listP50Growth: `list p50 at the largest size ≤ ${TARGETS.listGrowth}× the smallest`,
  listP99Growth: `list p99 at the largest size ≤ ${TARGETS.listGrowth}× the smallest`,
};

const SCENARIO_OF: Record<string, string> = {
  readShare: 'reads',
  readP99Ms: 'reads',
  readErrors: 'reads',
  processesReadShare: 'readsProcesses',
  processesReadP99Ms: 'readsProcesses',
  processesReadErrors: 'readsProcesses',
  singleConnectionReadP50Ms: 'readsOneConnection',
  listP99Ms: 'list',
};

const servedBy = (r: ReadResult) => r.requests + r.errors + r.warmupRequests;

/** The suite's results-file entry: every scenario per size beside its raw baseline, with issue 9's verdicts. */
function membersSuiteResult(
  results: SizeResult[],
  verdicts: Verdict[],
  options: Options,
  meta: SuiteMeta,
  report: string,
): SuiteResult {
  const scenarios: SuiteResult['scenarios'] = {};
  const judged = (scenario: string, size: number): ResultVerdict[] =>
    verdicts
      .filter((v) => SCENARIO_OF[v.target] === scenario && v.members === size)
      .map((v) => ({ target: v.target, description: DESCRIBE[v.target], value: v.value, pass: v.pass }));
  const rawSelectLabel = (connections: number) =>
    `SELECT * FROM member WHERE id = $1 on a pg Pool of ${connections}, same ids`;
  for (const r of results) {
    const raw = figuresOf(r.reads.rawSelect, r.reads.rawSelect.cpu, servedBy(r.reads.rawSelect), 'baseline');
    addScenario(
      scenarios,
      'reads',
      {
        label: `GET /members/{id}, ${options.connections} conn, 1 API process`,
        unit: 'req/s',
        baselineLabel: rawSelectLabel(options.connections),
      },
      r.members,
      {
        ours: figuresOf(r.reads.api, r.reads.api.cpu, servedBy(r.reads.api), 'ours'),
        baseline: raw,
        verdicts: judged('reads', r.members),
      },
    );
    if (r.reads.processes)
      addScenario(
        scenarios,
        'readsProcesses',
        {
          label: `GET /members/{id}, ${options.connections} conn, ${r.reads.processes.count} API processes`,
          unit: 'req/s',
          baselineLabel: rawSelectLabel(options.connections),
        },
        r.members,
        {
          ours: figuresOf(
            r.reads.processes.api,
            r.reads.processes.api.cpu,
            servedBy(r.reads.processes.api),
            'ours',
          ),
          baseline: raw,
          verdicts: judged('readsProcesses', r.members),
        },
      );
    const one = r.reads.singleConnection;
    addScenario(
      scenarios,
      'readsOneConnection',
      { label: 'GET /members/{id}, 1 conn', unit: 'req/s', baselineLabel: rawSelectLabel(1) },
      r.members,
      {
        ours: figuresOf(one.api, one.api.cpu, servedBy(one.api), 'ours'),
        baseline: figuresOf(one.rawSelect, one.rawSelect.cpu, servedBy(one.rawSelect), 'baseline'),
        verdicts: judged('readsOneConnection', r.members),
      },
    );
    addScenario(
      scenarios,
      'list',
      {
        label: 'GET /members?limit=50 walks, 1 conn',
        unit: 'pages/s',
        baselineLabel: null,
      },
      r.members,
      {
        ours: figuresOf(r.list.all, r.list.cpu, r.list.all.requests + r.list.all.errors, 'ours'),
        baseline: null,
        verdicts: judged('list', r.members),
      },
    );
  }
  return suiteResultOf('members', meta, {
    seeding: Object.fromEntries(results.map((r) => [String(r.members), r.seeding])),
    scenarios,
    growthVerdicts: verdicts
      .filter((v) => v.target.endsWith('Growth'))
      .map((v) => ({ target: v.target, description: DESCRIBE[v.target], value: v.value, pass: v.pass })),
    report,
  });
}

/** Prints the table and writes the detailed report; returns the report's path. */
function writeMembersReport(
  results: SizeResult[],
  verdicts: Verdict[],
  options: Options,
  meta: SuiteMeta,
): string {
  const environment = {
    cpus: meta.machine.cpus,
    cpuModel: meta.machine.cpuModel,
    memoryGb: meta.machine.memoryGb,
    node: meta.machine.node,
    postgres: meta.machine.postgres,
    git: meta.git,
  };
  const lines = printTable(results, verdicts, options, environment);
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return writeSuiteReport('members', meta, { options, targets: TARGETS, results, verdicts, table: lines });
}

/** The suite as `npm run bench` runs it: measured on each size's shared population. */
export function membersSession(argv: string[]): SuiteSession {
  const options = parseOptions(argv);
  const results: SizeResult[] = [];
  return {
    name: 'members',
    measure: async (population: Population) => {
      const load = new LoadClient();
      const cluster: SizeContext['cluster'] = {};
      const release = onInterrupt(() => load.close());
      try {
        results.push(
          await measureSize({
            stack: population.stack,
            load,
            options,
            organizationId: population.organizationId,
            token: population.readToken,
            seeding: population.seeding,
            size: population.members,
            seed: population.seed,
            startedAt: new Date(),
            cluster,
          }),
        );
      } finally {
        await cluster.processes?.stop().catch(() => undefined);
        await release();
      }
    },
    finish: (meta) => {
      const verdicts = judge(results);
      const report = writeMembersReport(results, verdicts, options, meta);
      return membersSuiteResult(results, verdicts, options, meta, report);
    },
  };
}

/** `npm run bench -- members`: seeds one stack up through the list sizes and measures at each. */
export async function membersBench(argv: string[]): Promise<SuiteResult> {
  const options = parseOptions(argv);
  return runStandalone(
    'members',
    argv,
    false,
    () => new LoadClient(),
    async ({ stack, load, meta }) => {
      const results: SizeResult[] = [];
      let organizationId: string | undefined;
      let seeded = 0;
      let token: (() => Promise<string>) | undefined;
      const cluster: SizeContext['cluster'] = {};
      for (const size of options.listSizes) {
        log(
          `• seeding members ${fmt(seeded)}..${fmt(size)} (seed ${options.seed}) through the encryption path`,
        );
        const seeding = await seedMembers(stack, {
          from: seeded,
          to: size,
          seed: options.seed,
          organizationId,
          batchSize: options.batchSize,
          system: 'bench:members',
        });
        organizationId = seeding.organizationId;
        seeded = size;
        token ??= await benchPartnerClient(stack, organizationId);
        log('• vacuum analyze + checkpoint, so seeding leaves no background work behind');
        await settle(stack, ['member', 'member_key']);
        results.push(
          await measureSize({
            stack,
            load,
            options,
            organizationId,
            token,
            seeding,
            size,
            seed: options.seed,
            startedAt: meta.startedAt,
            cluster,
          }),
        );
      }
      const verdicts = judge(results);
      const report = writeMembersReport(results, verdicts, options, meta);
      return membersSuiteResult(results, verdicts, options, meta, report);
    },
  );
}
