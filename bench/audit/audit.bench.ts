import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  AUDIT_ROW_COLUMNS,
  AuditService,
  AuditVerifierService,
  CheckpointsService,
  chainHash,
  chainedFromRow,
  GENESIS_HASH,
  type AuditRecord,
  type AuditRow,
  type ChainedEvent,
  type VerificationResult,
} from '@app/audit';
import { ApiModule } from '../../apps/api/src/api.module';
import { configureApiApplication, createApiAdapter } from '../../apps/api/src/http-app';
import { ensureAuditSigningKey } from '../../apps/cli/src/launcher/audit-signing-key';
import { fmt, log, query } from '../support/bench-report';
import { freePort, type BenchStack } from '../support/bench-stack';
import { CpuAccount, type CpuBreakdown } from '../support/cpu-account';
import { round } from '../support/latency-stats';
import { LoadClient } from '../support/load-client';
import type { ReadResult } from '../support/load-tasks';
import { ALL_CATEGORIES } from '../support/partner-client';
import {
  memberHalves,
  populationOf,
  sampleIds,
  seedMembers,
  settle,
  type Population,
} from '../support/population';
import { prng } from '../support/prng';
import { quietMachine } from '../support/quiet-measure';
import { addScenario, num, type Figures, type Machine, type SuiteResult } from '../support/results';
import { machineOf, onInterrupt } from '../support/run-context';
import { runStandalone } from '../support/standalone';
import { suiteResultOf, writeSuiteReport, type SuiteMeta, type SuiteSession } from '../support/suite-session';

const TARGETS = { verifySeconds: 60, auditOverhead: 0.15 };
/** The verifier's page size (keyset pages of this many rows); the baseline scan pages the same way. */
const VERIFY_BATCH = 5000;

interface Options {
  events: number;
  members: number;
  insertBatch: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  seed: number;
  waitQuietSeconds: number;
}

const USAGE = `usage: npm run bench -- audit [--events 1000000] [--members 2000] [--insert-batch 5000]
       [--connections 32] [--duration 10] [--warmup 3] [--rounds 2] [--seed 20261123] [--wait-quiet 60]`;

function parseOptions(argv: string[]): Options {
  const int = (name: string, fallback: number, min = 1) => {
    const i = argv.indexOf(name);
    const raw = i >= 0 ? argv[i + 1] : undefined;
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new Error(`${USAGE}\n${name} must be an integer ≥ ${min}`);
    return Number(raw);
  };
  return {
    events: int('--events', 1_000_000),
    members: int('--members', 2000, 10),
    insertBatch: int('--insert-batch', 5000),
    connections: int('--connections', 32),
    seconds: int('--duration', 10),
    warmupSeconds: int('--warmup', 3, 0),
    rounds: int('--rounds', 2),
    seed: int('--seed', 20261123, 0),
    waitQuietSeconds: int('--wait-quiet', 60, 0),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => (performance.now() - since) / 1000;

async function withClient<T>(databaseUrl: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. A million chained events, written straight into the table as its owner.

/** Plausible traffic: partner reads and lists, writes, sync pushes, admin work, refusals and failures. */
class SyntheticAuditTraffic {
  private readonly random: () => number;
  private readonly clients: Array<{ clientId: string; partnerId: string; ip: string }>;
  private readonly admins: string[];
  private readonly apiKeys: Array<{ id: string; partnerId: string }>;
  private readonly agents = [
    'okhttp/4.12.0',
    'python-requests/2.32.3',
    'Apache-HttpClient/5.3.1 (Java/21.0.4)',
    'axios/1.7.7',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  ];

  constructor(
    seed: number,
    private readonly memberIds: string[],
  ) {
    this.random = prng(seed);
    const id = (prefix: string, i: number) => `${prefix}_${(i * 2654435761).toString(36).padStart(8, '0')}`;
    const partners = Array.from({ length: 12 }, (_, i) => id('prt', i + 1));
    this.clients = Array.from({ length: 40 }, (_, i) => ({
      clientId: id('cli', i + 1),
      partnerId: partners[i % partners.length],
      ip: `10.${20 + (i % 7)}.${(i * 37) % 256}.${(i * 91) % 254 || 1}`,
    }));
    this.admins = Array.from({ length: 15 }, (_, i) => id('adm', i + 1));
    this.apiKeys = Array.from({ length: 8 }, (_, i) => ({ id: id('key', i + 1), partnerId: partners[i] }));
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)];
  }

  private member(): string {
    // Mostly members that exist, some that do not (lookups of deleted or foreign ids).
    return this.random() < 0.9
      ? this.pick(this.memberIds)
      : `mbr_${Math.floor(this.random() * 2 ** 40).toString(36)}`;
  }

  private categories(): string[] {
    const picked = ALL_CATEGORIES.filter(() => this.random() < 0.6);
    return picked.length ? picked : [ALL_CATEGORIES[0]];
  }

  event(seq: number, occurredAt: Date): ChainedEvent {
    const r = this.random();
    const base = {
      seq,
      occurredAt,
      requestId: randomUUID(),
      purpose: null as string | null,
      reason: null as string | null,
    };
    let outcome = 'success';
    let statusCode = 200;
    const roll = this.random();
    if (roll < 0.03) {
      outcome = 'denied';
      statusCode = 404;
      base.reason = this.pick(['organization_not_linked', 'member_not_found', 'category_not_permitted']);
    } else if (roll < 0.035) {
      outcome = 'failure';
      statusCode = this.pick([400, 409, 422, 500]);
      base.reason = statusCode === 500 ? 'internal_error' : 'validation_failed';
    }
    if (r < 0.82) {
      const c = this.pick(this.clients);
      const actor = {
        ...base,
        actorType: 'partner_client',
        actorId: c.clientId,
        clientId: c.clientId,
        partnerId: c.partnerId,
        ip: c.ip,
        userAgent: this.pick(this.agents),
        purpose: 'operations',
        outcome,
        statusCode,
      };
      const kind = this.random();
      if (kind < 0.7)
        return {
          ...actor,
          method: 'GET',
          route: '/api/v1/members/:id',
          action: 'member.read',
          resourceType: 'member',
          resourceIds: [this.member()],
          categories: outcome === 'success' ? this.categories() : null,
        };
      if (kind < 0.85)
        return {
          ...actor,
          method: 'GET',
          route: '/api/v1/members',
          action: 'member.list',
          resourceType: 'member',
          resourceIds: outcome === 'success' ? Array.from({ length: 20 }, () => this.member()) : null,
          categories: outcome === 'success' ? this.categories() : null,
        };
      return {
        ...actor,
        method: 'PATCH',
        route: '/api/v1/members/:id',
        action: 'member.update',
        resourceType: 'member',
        resourceIds: [this.member()],
        categories: this.categories(),
        statusCode: outcome === 'success' ? 200 : statusCode,
      };
    }
    if (r < 0.9) {
      const k = this.pick(this.apiKeys);
      return {
        ...base,
        actorType: 'api_key',
        actorId: k.id,
        clientId: null,
        partnerId: k.partnerId,
        ip: `172.16.${k.id.length}.${Math.floor(this.random() * 250) + 1}`,
        userAgent: 'member-sync-connector/2.4.1',
        method: 'POST',
        route: '/api/v1/sync/members',
        action: 'sync.member.upsert',
        resourceType: 'member',
        resourceIds: Array.from({ length: 1 + Math.floor(this.random() * 5) }, () => this.member()),
        categories: this.categories(),
        outcome,
        statusCode: outcome === 'success' ? 202 : statusCode,
      };
    }
    if (r < 0.97) {
      const admin = this.pick(this.admins);
      const action = this.pick([
        ['GET', '/api/v1/admin/audit/events', 'audit.search', null],
        ['POST', '/api/v1/admin/partners', 'partner.create', 'partner'],
        ['PATCH', '/api/v1/admin/partners/:id', 'partner.update', 'partner'],
        ['POST', '/api/v1/admin/session', 'admin.login', 'admin_user'],
        ['GET', '/api/v1/admin/alerts', 'alert.list', null],
      ] as const);
      return {
        ...base,
        actorType: 'admin',
        actorId: admin,
        clientId: null,
        partnerId: null,
        ip: `192.168.10.${Math.floor(this.random() * 60) + 2}`,
        userAgent: this.pick(this.agents),
        method: action[0],
        route: action[1],
        action: action[2],
        resourceType: action[3],
        resourceIds: action[3]
          ? [`${action[3].slice(0, 3)}_${Math.floor(this.random() * 1e9).toString(36)}`]
          : null,
        categories: null,
        outcome,
        statusCode,
      };
    }
    if (r < 0.99)
      return {
        ...base,
        actorType: 'system',
        actorId: 'worker',
        clientId: null,
        partnerId: null,
        ip: null,
        userAgent: null,
        method: null,
        route: null,
        action: this.pick(['key.rotate.batch', 'retention.sweep', 'sync.outbox.deliver']),
        resourceType: 'member',
        resourceIds: Array.from({ length: 3 }, () => this.member()),
        categories: null,
        outcome: 'success',
        statusCode: null,
      };
    return {
      ...base,
      actorType: 'anonymous',
      actorId: null,
      clientId: null,
      partnerId: null,
      ip: `203.0.113.${Math.floor(this.random() * 250) + 1}`,
      userAgent: this.pick(this.agents),
      method: 'GET',
      route: this.pick(['/api/v1/members/:id', '/api/v1/members', '/oauth/token']),
      action: 'http.request',
      resourceType: null,
      resourceIds: null,
      categories: null,
      outcome: 'denied',
      statusCode: 401,
      reason: 'unauthenticated',
    };
  }
}

const INSERT_COLUMNS =
  'seq, occurred_at, actor_type, actor_id, client_id, partner_id, ip, user_agent, method, route, action, resource_type, resource_ids, purpose, categories, outcome, status_code, reason, request_id, hash';
// One statement per batch, whatever its size: each column travels as one array parameter.
const INSERT_SQL = `insert into audit_event (${INSERT_COLUMNS})
  select seq, occurred_at, actor_type, actor_id, client_id, partner_id, ip, user_agent, method, route, action,
         resource_type, resource_ids::text[], purpose, categories::text[], outcome, status_code, reason, request_id, hash
  from unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
              $17::int[], $18::text[], $19::uuid[], $20::bytea[])
    with ordinality as t(${INSERT_COLUMNS}, n)
  order by n`;

/** A text[] literal for one element of a text-typed array parameter (cast back to text[] in SQL). */
function arrayLiteral(values: readonly string[] | null): string | null {
  if (values === null) return null;
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

function insertParams(batch: Array<{ event: ChainedEvent; hash: Buffer }>): unknown[] {
  const cols: unknown[][] = Array.from({ length: 20 }, () => new Array<unknown>(batch.length));
  batch.forEach(({ event: e, hash }, i) => {
    const values = [
      String(e.seq),
      e.occurredAt.toISOString(),
      e.actorType,
      e.actorId,
      e.clientId,
      e.partnerId,
      e.ip,
      e.userAgent,
      e.method,
      e.route,
      e.action,
      e.resourceType,
      arrayLiteral(e.resourceIds),
      e.purpose,
      arrayLiteral(e.categories),
      e.outcome,
      e.statusCode,
      e.reason,
      e.requestId,
      hash,
    ];
    values.forEach((v, c) => (cols[c][i] = v));
  });
  return cols;
}

interface InsertResult {
  events: number;
  firstSeq: number;
  lastSeq: number;
  seconds: number;
  perSecond: number;
  hashSeconds: number;
}

/**
 * Appends `count` events after the chain head, computing the chain exactly as AuditService does
 * (seq = head.seq + 1…, previous = head hash), in one transaction that holds the head row lock.
 */
async function insertChainedEvents(
  stack: BenchStack,
  options: Options,
  memberIds: string[],
): Promise<InsertResult> {
  const traffic = new SyntheticAuditTraffic(options.seed, memberIds);
  const started = performance.now();
  let hashMs = 0;
  return withClient(stack.databaseUrl, async (client) => {
    await client.query('begin');
    try {
      const {
        rows: [head],
      } = await client.query<{ seq: string; hash: Buffer }>(
        'select seq, hash from audit_chain_head where id = 1 for update',
      );
      const firstSeq = Number(head.seq) + 1;
      let previous = head.hash;
      // Spread over the past, a couple of seconds apart, ending a minute ago.
      let at = Date.now() - options.events * 2500 - 60_000;
      const random = prng(options.seed ^ 0x5eed);
      let inFlight: Promise<unknown> | undefined;
      let written = 0;
      let nextLog = 100_000;
      for (let from = 0; from < options.events; from += options.insertBatch) {
        const size = Math.min(options.insertBatch, options.events - from);
        const t0 = performance.now();
        const batch = Array.from({ length: size }, (_, i) => {
          at += Math.floor(random() * 5000);
          const event = traffic.event(firstSeq + from + i, new Date(at));
          previous = chainHash(previous, event);
          return { event, hash: previous };
        });
        hashMs += performance.now() - t0;
        await inFlight;
        inFlight = client.query(INSERT_SQL, insertParams(batch));
        written += size;
        if (written >= nextLog) {
          log(`  ${fmt(written)} events (${fmt(written / seconds(started))}/s)`);
          nextLog += 100_000;
        }
      }
      await inFlight;
      const lastSeq = firstSeq + options.events - 1;
      await client.query('update audit_chain_head set seq = $1, hash = $2 where id = 1', [lastSeq, previous]);
      await client.query('commit');
      const took = seconds(started);
      return {
        events: options.events,
        firstSeq,
        lastSeq,
        seconds: round(took, 1),
        perSecond: Math.round(options.events / took),
        hashSeconds: round(hashMs / 1000, 1),
      };
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Verification and the bare scans it is compared with.

interface ScanResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  cpu: CpuBreakdown | null;
}

/**
 * The verifier's read pattern over plain `pg`: keyset pages of VERIFY_BATCH rows, same columns,
 * same order. With `hash`, it also recomputes the chain (no ORM, no checkpoint checks).
 */
async function scan(stack: BenchStack, account: CpuAccount, hash: boolean): Promise<ScanResult> {
  return withClient(stack.databaseUrl, async (client) => {
    account.start();
    const started = performance.now();
    let expected = 1;
    let rows = 0;
    let previous: Buffer = GENESIS_HASH;
    const {
      rows: [{ first }],
    } = await client.query<{ first: string | null }>(
      'select min(seq) as first from audit_event where hash is not null',
    );
    expected = Number(first ?? 1);
    for (;;) {
      const page = await client.query<AuditRow>(
        `select ${AUDIT_ROW_COLUMNS} from audit_event where seq >= $1 order by seq limit $2`,
        [expected, VERIFY_BATCH],
      );
      if (page.rows.length === 0) break;
      for (const row of page.rows) {
        if (hash) {
          previous = chainHash(previous, chainedFromRow(row));
          if (!row.hash || !previous.equals(row.hash)) throw new Error(`scan: chain breaks at ${row.seq}`);
        }
        expected = Number(row.seq) + 1;
      }
      rows += page.rows.length;
    }
    const took = seconds(started);
    return {
      rows,
      seconds: round(took, 2),
      rowsPerSecond: Math.round(rows / took),
      cpu: account.stop(),
    };
  });
}

interface VerifyMeasurement {
  result: VerificationResult;
  seconds: number;
  eventsPerSecond: number;
  cpu: CpuBreakdown | null;
}

async function verifyFull(stack: BenchStack, account: CpuAccount): Promise<VerifyMeasurement> {
  const verifier = stack.app.get(AuditVerifierService);
  let nextLog = 250_000;
  account.start();
  const started = performance.now();
  const result = await verifier.verify({
    full: true,
    onProgress: (done, total) => {
      if (done >= nextLog) {
        log(`  verified ${fmt(done)}/${fmt(total)} (${fmt(seconds(started), 1)} s)`);
        nextLog += 250_000;
      }
    },
  });
  const took = seconds(started);
  return {
    result,
    seconds: round(took, 2),
    eventsPerSecond: Math.round(result.eventsChecked / took),
    cpu: account.stop(),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Request throughput with and without audit writing.

/**
 * The same API application with AuditService replaced by a stub that writes nothing but marks the
 * request audited, as the real service does once its event has committed.
 */
async function startUnauditedApp(
  stack: BenchStack,
): Promise<{ app: NestFastifyApplication; baseUrl: string }> {
  const noAudit: Pick<AuditService, 'record' | 'recordStandalone'> = {
    record: (_em: unknown, event: AuditRecord) => {
      if (event.auditState) event.auditState.audited = true;
      return Promise.resolve();
    },
    recordStandalone: (event: AuditRecord) => {
      if (event.auditState) event.auditState.audited = true;
      return Promise.resolve();
    },
  };
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule.forRoot(stack.config)] })
    .overrideProvider(AuditService)
    .useValue(noAudit)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createApiAdapter(stack.config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  await configureApiApplication(app, stack.config);
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  return { app, baseUrl: `https://127.0.0.1:${port}` };
}

type Variant = 'audited' | 'unaudited';

interface ThroughputRun extends ReadResult {
  variant: Variant;
  round: number;
  cpu: CpuBreakdown | null;
  backgroundCores: number | null;
  /** Audit events the run (warm-up included) appended to the chain. */
  auditEventsWritten: number;
}

interface VariantSummary {
  runs: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  auditEventsPerRequest: number;
}

function summarize(runs: ThroughputRun[]): VariantSummary {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const secs = runs.reduce((a, r) => a + r.seconds, 0);
  const served = runs.reduce((a, r) => a + r.requests + r.warmupRequests + r.errors, 0);
  const mean = (f: (r: ThroughputRun) => number) =>
    round(runs.reduce((a, r) => a + f(r), 0) / runs.length, 2);
  return {
    runs: runs.length,
    requests,
    perSecond: Math.round(requests / secs),
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    auditEventsPerRequest: round(runs.reduce((a, r) => a + r.auditEventsWritten, 0) / Math.max(1, served), 3),
  };
}

// ---------------------------------------------------------------------------------------------

const headSeq = async (stack: BenchStack) =>
  Number((await query<{ seq: string }>(stack.databaseUrl, 'select seq from audit_chain_head'))[0].seq);

interface AuditSizeResult {
  members: number;
  insert: InsertResult;
  checkpoint: unknown;
  verification: {
    verify: VerifyMeasurement;
    bareScan: { first: ScanResult; second: ScanResult; used: ScanResult };
    scanWithHash: ScanResult;
    ratio: number;
    tableSize: string;
  };
  throughput: { runs: ThroughputRun[]; audited: VariantSummary; unaudited: VariantSummary; overhead: number };
  verdicts: {
    verify: {
      seconds: number;
      ok: boolean;
      eventsChecked: number;
      checkpointsChecked: number;
      pass: boolean;
    };
    overhead: { overhead: number; pass: boolean; errors: number };
  };
  table: string[];
}

/** Appends the synthetic trail, measures reads with and without auditing, then verification beside bare scans. */
async function measureAuditSize(ctx: {
  stack: BenchStack;
  load: LoadClient;
  options: Options;
  members: number;
  memberIds: string[];
  token: () => Promise<string>;
  machine: Machine;
}): Promise<AuditSizeResult> {
  const { stack, load, options, memberIds, token } = ctx;
  await ensureAuditSigningKey(stack.config.audit.signingKeyFile);
  log(`• appending ${fmt(options.events)} chained audit events (${fmt(options.insertBatch)} per statement)`);
  const insert = await insertChainedEvents(stack, options, memberIds);
  log(`  ${fmt(insert.events)} events in ${insert.seconds} s (${fmt(insert.perSecond)}/s)`);
  log('• vacuum analyze + checkpoint');
  await settle(stack, ['audit_event', 'member']);

  // Throughput: the real application and the unaudited one, one at a time, alternating order.
  const unaudited = await startUnauditedApp(stack);
  // Closed with the stack, not now: closing a second application in this process breaks the first one's
  // token checks (every later request answered 401 invalid_token). `npm run bench` runs this suite last.
  stack.defer(() => unaudited.app.close());
  const runs: ThroughputRun[] = [];
  const account = new CpuAccount(load.pid, stack.databaseName);
  log(`• unaudited API on ${unaudited.baseUrl}`);
  const targets: Record<Variant, string> = { audited: stack.baseUrl, unaudited: unaudited.baseUrl };
  for (let r = 1; r <= options.rounds; r++) {
    const order: Variant[] = r % 2 === 1 ? ['audited', 'unaudited'] : ['unaudited', 'audited'];
    for (const variant of order) {
      log(
        `• round ${r}: ${variant} GET /api/v1/members/{id}, ${options.connections} connections, ${options.seconds} s`,
      );
      const bearer = await token();
      const backgroundCores = await quietMachine(options.waitQuietSeconds);
      const before = await headSeq(stack);
      account.start();
      const result = await load.run({
        kind: 'http-reads',
        baseUrl: targets[variant],
        token: bearer,
        ids: memberIds,
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
      });
      const cpu = account.stop();
      // Group commits still in flight when the load stops finish within moments.
      await pause(500);
      const auditEventsWritten = (await headSeq(stack)) - before;
      runs.push({ ...result, variant, round: r, cpu, backgroundCores, auditEventsWritten });
      log(
        `  ${fmt(result.perSecond)} req/s, p50 ${fmt(result.p50, 2)} ms, p99 ${fmt(result.p99, 2)} ms, errors ${result.errors}, audit events +${fmt(auditEventsWritten)}`,
      );
    }
  }
  const audited = summarize(runs.filter((r) => r.variant === 'audited'));
  const plain = summarize(runs.filter((r) => r.variant === 'unaudited'));
  const overhead = round(1 - audited.perSecond / plain.perSecond, 4);

  // Verification: sign a checkpoint at the head, then bare scan, verify, scan + hash, bare scan.
  const checkpoint = await stack.app.get(CheckpointsService).checkpointHead();
  if (!checkpoint) throw new Error('no checkpoint signed: the chain is empty');
  log(`• checkpoint signed at seq ${fmt(checkpoint.seq)}`);
  await settle(stack, ['audit_event']);
  const scanAccount = new CpuAccount(undefined, stack.databaseName);
  log('• bare SELECT scan (first pass, warms the cache)');
  const scanFirst = await scan(stack, scanAccount, false);
  log(`  ${fmt(scanFirst.rows)} rows in ${scanFirst.seconds} s`);
  log('• AuditVerifierService.verify({ full: true })');
  const verify = await verifyFull(stack, scanAccount);
  log(
    `  ok=${verify.result.ok} events=${fmt(verify.result.eventsChecked)} checkpoints=${verify.result.checkpointsChecked} in ${verify.seconds} s`,
  );
  log('• bare SELECT scan + chainHash in the harness');
  const scanHash = await scan(stack, scanAccount, true);
  log(`  ${fmt(scanHash.rows)} rows in ${scanHash.seconds} s`);
  log('• bare SELECT scan (second pass)');
  const scanSecond = await scan(stack, scanAccount, false);
  log(`  ${fmt(scanSecond.rows)} rows in ${scanSecond.seconds} s`);
  const bare = scanSecond.seconds <= scanFirst.seconds ? scanSecond : scanFirst;
  const verifyRatio = round(verify.seconds / bare.seconds, 2);
  const [{ size }] = await query<{ size: string }>(
    stack.databaseUrl,
    "select pg_size_pretty(pg_total_relation_size('audit_event')) as size",
  );

  const verdicts = {
    verify: {
      seconds: verify.seconds,
      ok: verify.result.ok,
      eventsChecked: verify.result.eventsChecked,
      checkpointsChecked: verify.result.checkpointsChecked,
      pass:
        verify.result.ok &&
        verify.result.eventsChecked >= options.events &&
        verify.result.checkpointsChecked > 0 &&
        verify.seconds < TARGETS.verifySeconds,
    },
    overhead: {
      overhead,
      pass: overhead < TARGETS.auditOverhead && audited.errors === 0 && plain.errors === 0,
      errors: audited.errors + plain.errors,
    },
  };

  const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const cpuCell = (c: CpuBreakdown | null) =>
    c ? [c.api, c.postgres, c.redis, c.load, c.irq, c.other].map((n) => fmt(n, 2)).join(' / ') : '-';
  const rows: Array<[string, string]> = [
    ['audit_event rows / size', `${fmt(verify.result.lastSeq)} / ${size}`],
    [
      `synthetic append (${fmt(options.insertBatch)}/statement)`,
      `${fmt(insert.events)} in ${insert.seconds} s (${fmt(insert.perSecond)}/s, hashing ${insert.hashSeconds} s)`,
    ],
    [
      'verify({ full: true })',
      `${fmt(verify.seconds, 2)} s, ${fmt(verify.eventsPerSecond)} events/s, ok=${verify.result.ok}, ${fmt(verify.result.eventsChecked)} events, ${verify.result.checkpointsChecked} checkpoints`,
    ],
    ['  cores: process/pg/-/-/irq/other', cpuCell(verify.cpu)],
    [
      `bare SELECT, keyset pages of ${VERIFY_BATCH}`,
      `${fmt(bare.seconds, 2)} s (${fmt(bare.rowsPerSecond)} rows/s; passes ${scanFirst.seconds} s / ${scanSecond.seconds} s)`,
    ],
    ['  cores: process/pg/-/-/irq/other', cpuCell(bare.cpu)],
    ['bare SELECT + chainHash (pg, no ORM)', `${fmt(scanHash.seconds, 2)} s`],
    ['verify / bare SELECT', `${fmt(verifyRatio, 2)}×`],
    [`verify < ${TARGETS.verifySeconds} s`, pass(verdicts.verify.pass)],
    ['', ''],
    ...runs.map((r): [string, string] => [
      `round ${r.round} ${r.variant} req/s`,
      `${fmt(r.perSecond)}  p50 ${fmt(r.p50, 2)} / p99 ${fmt(r.p99, 2)} ms, errors ${r.errors}, audit +${fmt(r.auditEventsWritten)}, cores ${cpuCell(r.cpu)}`,
    ]),
    [
      'audited (real app)',
      `${fmt(audited.perSecond)} req/s, p50 ${fmt(audited.p50, 2)} / p99 ${fmt(audited.p99, 2)} ms, ${audited.auditEventsPerRequest} events/request, errors ${audited.errors}`,
    ],
    [
      'unaudited (AuditService stubbed)',
      `${fmt(plain.perSecond)} req/s, p50 ${fmt(plain.p50, 2)} / p99 ${fmt(plain.p99, 2)} ms, ${plain.auditEventsPerRequest} events/request, errors ${plain.errors}`,
    ],
    [
      `audit overhead 1 − with/without (< ${TARGETS.auditOverhead * 100}%)`,
      `${fmt(overhead * 100, 1)}% ${pass(verdicts.overhead.pass)}`,
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const lines = [
    `audit bench: ${ctx.machine.cpus} vCPU (${ctx.machine.cpuModel}), Node ${process.version}, PostgreSQL ${ctx.machine.postgres}`,
    `reads: ${options.connections} keep-alive HTTPS connections, ${options.seconds} s after ${options.warmupSeconds} s warm-up, ${options.rounds} rounds alternating order, ${fmt(ctx.members)} members (${fmt(memberIds.length)} read)`,
    '',
    ...rows.map(([k, v]) => (k ? `${k.padEnd(width)}   ${v}` : '')),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return {
    members: ctx.members,
    insert,
    checkpoint,
    verification: {
      verify,
      bareScan: { first: scanFirst, second: scanSecond, used: bare },
      scanWithHash: scanHash,
      ratio: verifyRatio,
      tableSize: size,
    },
    throughput: { runs, audited, unaudited: plain, overhead },
    verdicts,
    table: lines,
  };
}

/** Figures of a variant's runs together: throughput over all measured seconds, CPU and memory over the accounted spans. */
function variantFigures(runs: ThroughputRun[], summary: VariantSummary, side: 'ours' | 'baseline'): Figures {
  const accounted = runs.filter((r) => r.cpu);
  const served = accounted.reduce((a, r) => a + r.requests + r.warmupRequests + r.errors, 0);
  const apiSeconds = accounted.reduce((a, r) => a + (r.cpu?.apiCpuSeconds ?? 0), 0);
  const pgSeconds = accounted.reduce((a, r) => a + (r.cpu ? r.cpu.postgres * r.cpu.seconds : 0), 0);
  const peaks = accounted.map((r) => r.cpu?.apiPeakRssMb ?? 0);
  return {
    throughput: summary.perSecond,
    p50: summary.p50,
    p99: summary.p99,
    cpuMsPerRequest: served ? num((apiSeconds * 1000) / served, 3) : null,
    pgCpuMsPerRequest: served ? num((pgSeconds * 1000) / served, 3) : null,
    peakRssMb: side === 'ours' && peaks.length ? Math.max(...peaks) : null,
    errors: summary.errors,
  };
}

function auditSuiteResult(
  sizes: AuditSizeResult[],
  options: Options,
  meta: SuiteMeta,
  report: string,
  seeding: SuiteResult['seeding'],
): SuiteResult {
  const scenarios: SuiteResult['scenarios'] = {};
  for (const r of sizes) {
    const { verify, used } = { verify: r.verification.verify, used: r.verification.bareScan.used };
    const scanFigures = (
      rowsPerSecond: number,
      seconds: number,
      cpu: CpuBreakdown | null,
      side: 'ours' | 'baseline',
    ): Figures => ({
      throughput: rowsPerSecond,
      p50: null,
      p99: null,
      // Per 1,000 events: a scan has no requests; CPU of this process (the verifier or the bare scan's client).
      cpuMsPerRequest: cpu
        ? num((cpu.api * cpu.seconds * 1_000_000) / Math.max(1, verify.result.eventsChecked), 3)
        : null,
      pgCpuMsPerRequest: cpu
        ? num((cpu.postgres * cpu.seconds * 1_000_000) / Math.max(1, verify.result.eventsChecked), 3)
        : null,
      peakRssMb: side === 'ours' ? (cpu?.apiPeakRssMb ?? null) : null,
      errors: side === 'ours' ? (verify.result.ok ? 0 : 1) : null,
    });
    addScenario(
      scenarios,
      'verify',
      {
        label: `verify({ full: true }) over the chain (${fmt(options.events)} synthetic events + the run's own; CPU per 1,000 events)`,
        unit: 'events/s',
        baselineLabel: `SELECT of the same columns in keyset pages of ${VERIFY_BATCH} (no hashing)`,
      },
      r.members,
      {
        ours: scanFigures(verify.eventsPerSecond, verify.seconds, verify.cpu, 'ours'),
        baseline: scanFigures(used.rowsPerSecond, used.seconds, used.cpu, 'baseline'),
        verdicts: [
          {
            target: 'verifySeconds',
            description: `verify < ${TARGETS.verifySeconds} s, ok, checkpoints checked`,
            value: r.verdicts.verify.seconds,
            pass: r.verdicts.verify.pass,
          },
        ],
      },
    );
    const runs = r.throughput.runs;
    addScenario(
      scenarios,
      'auditedReads',
      {
        label: `GET /members/{id}, ${options.connections} conn, audited (${options.rounds} rounds)`,
        unit: 'req/s',
        baselineLabel:
          'not raw PostgreSQL: the same API with AuditService stubbed out, alternating rounds (the audit cost alone); the raw SELECT baseline is in the members suite',
      },
      r.members,
      {
        ours: variantFigures(
          runs.filter((x) => x.variant === 'audited'),
          r.throughput.audited,
          'ours',
        ),
        baseline: variantFigures(
          runs.filter((x) => x.variant === 'unaudited'),
          r.throughput.unaudited,
          'ours',
        ),
        verdicts: [
          {
            target: 'auditOverhead',
            description: `audit overhead < ${TARGETS.auditOverhead * 100}% of unaudited req/s, no errors`,
            value: r.verdicts.overhead.overhead,
            pass: r.verdicts.overhead.pass,
          },
        ],
      },
    );
  }
  return suiteResultOf('audit', meta, { seeding, scenarios, report });
}

function writeAuditReport(sizes: AuditSizeResult[], options: Options, meta: SuiteMeta): string {
  return writeSuiteReport('audit', meta, { options, targets: TARGETS, sizes });
}

/** Member ids the read runs pick from (all of a small population, a random sample of a large one). */
const READ_SAMPLE = 20_000;

/**
 * Under `npm run bench` the suite runs after the writing suites, whose raw baselines leave bytes that
 * are no ciphertext in the raw half of the members: it reads a random sample of the API's half.
 */
async function readableIds(population: Population, limit: number): Promise<string[]> {
  const { apiIds } = await memberHalves(population.stack, population.organizationId);
  const random = prng(population.seed);
  for (let i = apiIds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [apiIds[i], apiIds[j]] = [apiIds[j], apiIds[i]];
  }
  return apiIds.slice(0, limit);
}

/** The suite as `npm run bench` runs it: on each size's shared population. */
export function auditSession(argv: string[]): SuiteSession {
  const options = parseOptions(argv);
  const sizes: AuditSizeResult[] = [];
  const seeding: SuiteResult['seeding'] = {};
  let machine: Machine | undefined;
  return {
    name: 'audit',
    measure: async (population: Population) => {
      const load = new LoadClient();
      const release = onInterrupt(() => load.close());
      try {
        machine ??= await machineOf(population.stack.databaseUrl, 0);
        seeding[String(population.members)] = population.seeding;
        sizes.push(
          await measureAuditSize({
            stack: population.stack,
            load,
            options,
            members: population.members,
            memberIds: await readableIds(population, READ_SAMPLE),
            token: population.readToken,
            machine,
          }),
        );
      } finally {
        await release();
      }
    },
    finish: (meta) => auditSuiteResult(sizes, options, meta, writeAuditReport(sizes, options, meta), seeding),
  };
}

/** `npm run bench -- audit`: seeds its own members, appends the synthetic trail and measures. */
export async function auditBench(argv: string[]): Promise<SuiteResult> {
  const options = parseOptions(argv);
  return runStandalone(
    'audit',
    argv,
    false,
    () => new LoadClient(),
    async ({ stack, load, meta }) => {
      log(`• seeding ${fmt(options.members)} members through the encryption path`);
      const seeded = await seedMembers(stack, {
        from: 0,
        to: options.members,
        seed: options.seed,
        batchSize: 500,
        system: 'bench:audit',
      });
      const population = populationOf(stack, seeded, options.seed);
      const result = await measureAuditSize({
        stack,
        load,
        options,
        members: seeded.members,
        memberIds: await sampleIds(stack, seeded.organizationId, options.members),
        token: population.readToken,
        machine: meta.machine,
      });
      const report = writeAuditReport([result], options, meta);
      return auditSuiteResult([result], options, meta, report, {
        [String(seeded.members)]: population.seeding,
      });
    },
  );
}
