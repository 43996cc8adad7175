// The sync bench's load generator: a process of its own, so the clients never share the API's event
// loop. Started by the bench through ForkedTasks; takes one SyncLoadTask at a time over IPC.
import type { EventEmitter } from 'node:events';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool, type PoolClient } from 'pg';
import { MEMBER_FIELD_NAMES, encryptedColumn } from '../../libs/members/src/catalog/field-catalog';
import { serveTasks } from '../support/forked-tasks';
import { cpuShare, runStats, timedLoops } from '../support/latency-stats';
import { RawWritePath } from './raw-write-path';
import type { BatchRunResult, SyncLoadResult, SyncLoadTask, UpdateRunResult } from './sync-load-tasks';
import { batchSlice, nthUpdate, signedHeaders } from './update-bodies';

type Task<K extends SyncLoadTask['kind']> = Extract<SyncLoadTask, { kind: K }>;

const ALL_COLUMNS = MEMBER_FIELD_NAMES.map(encryptedColumn);

const count = (tally: Record<string, number>, key: string, n = 1) => (tally[key] = (tally[key] ?? 0) + n);

/** Signed single updates over keep-alive HTTPS (autocannon), each with a fresh event id and signature. */
async function httpUpdates(task: Task<'http-updates'>): Promise<UpdateRunResult> {
  let n = 0;
  const results: Record<string, number> = {};
  const cannon = (seconds: number, latencies?: number[]) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: task.target.baseUrl,
          connections: task.connections,
          pipelining: 1,
          duration: seconds,
          timeout: 10,
          requests: [
            {
              method: 'POST',
              setupRequest: (req) => {
                const { memberId, body } = nthUpdate(n++, task.ids, task.changes, new Date());
                const text = JSON.stringify(body);
                return {
                  ...req,
                  path: `/api/v1/members/${memberId}/updates`,
                  body: text,
                  headers: {
                    authorization: `Bearer ${task.target.token}`,
                    accept: 'application/json',
                    'content-type': 'application/json',
                    ...signedHeaders(task.target.webhookSecret, text, Date.now()),
                  },
                };
              },
              onResponse: (status, body) => {
                if (!latencies) return;
                if (status !== 200) return void count(results, `status:${status}`);
                try {
                  count(results, String((JSON.parse(body) as { result?: unknown }).result));
                } catch {
                  count(results, 'unparsable');
                }
              },
            },
          ],
        },
        (error, result) =>
          error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result),
      );
      (instance as unknown as EventEmitter).on(
        'response',
        (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
          if (latencies && statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
        },
      );
    });
  const warmup = await cannon(task.warmupSeconds);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const result = await cannon(task.seconds, latencies);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat?.count ?? 0;
  // A 200 that is not `applied` (a duplicate, a skipped field) did not do the work measured: an error.
  const notApplied = Object.entries(results)
    .filter(([k]) => k !== 'applied' && !k.startsWith('status:'))
    .reduce((a, [, v]) => a + v, 0);
  return {
    ...runStats(latencies, result.duration, result.errors + result.non2xx + notApplied),
    warmupRequests: warmup.requests.total,
    statusCodes,
    results,
    clientCpu: cpuShare(cpu, result.duration),
  };
}

/** The raw baseline: `connections` clients, each running one update per transaction, back to back. */
async function pgUpdates(task: Task<'pg-updates'>): Promise<UpdateRunResult> {
  const pool = new Pool({ connectionString: task.target.databaseUrl, max: task.connections });
  const raw = new RawWritePath(task.target, ALL_COLUMNS);
  const statusCodes: Record<string, number> = {};
  let n = 0;
  const clients: PoolClient[] = [];
  const run = (seconds: number) =>
    timedLoops(
      task.connections,
      seconds,
      (loop) => raw.one(clients[loop], task.ids[n++ % task.ids.length]),
      (error) => count(statusCodes, `error:${(error as { code?: string }).code ?? 'other'}`),
    );
  try {
    // One connection per loop, held for the whole run (warm-up included).
    for (let i = 0; i < task.connections; i++) clients.push(await pool.connect());
    const warmup = await run(task.warmupSeconds);
    const cpu = process.cpuUsage();
    const measured = await run(task.seconds);
    return {
      ...runStats(measured.latencies, measured.seconds, measured.errors),
      warmupRequests: warmup.latencies.length + warmup.errors,
      statusCodes: { ...statusCodes, committed: measured.latencies.length },
      results: {},
      clientCpu: cpuShare(cpu, measured.seconds),
    };
  } finally {
    clients.forEach((c) => c.release());
    await pool.end();
  }
}

/**
 * Runs `connections` loops of `batch(k)` for a warm-up count and then `seconds` (at least one
 * batch per loop is measured): the batch throughput in updates per second.
 */
async function batchLoops(
  task: { connections: number; warmupBatches: number; seconds: number },
  batch: (k: number) => Promise<{ updates: number; ok: boolean }>,
): Promise<{ latencies: number[]; updates: number; errors: number; seconds: number }> {
  let k = 0;
  for (let w = 0; w < task.warmupBatches; w++) await batch(k++);
  const latencies: number[] = [];
  let updates = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + task.seconds * 1000;
  await Promise.all(
    Array.from({ length: task.connections }, async () => {
      do {
        const t0 = performance.now();
        const done = await batch(k++);
        if (!done.ok) errors++;
        else latencies.push(performance.now() - t0);
        updates += done.updates;
      } while (performance.now() < deadline);
    }),
  );
  return { latencies, updates, errors, seconds: (performance.now() - started) / 1000 };
}

/** Signed 1,000-update batches to POST /api/v1/sync/batches over keep-alive HTTPS. */
async function httpBatches(task: Task<'http-batches'>): Promise<BatchRunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: task.connections, ca: task.target.ca });
  const results: Record<string, number> = {};
  const statusCodes: Record<string, number> = {};
  let bodyBytes = 0;
  let n = 0;
  const post = (text: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${task.target.baseUrl}/api/v1/sync/batches`,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${task.target.token}`,
            accept: 'application/json',
            'content-type': 'application/json',
            ...signedHeaders(task.target.webhookSecret, text, Date.now()),
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  try {
    const run = await batchLoops(task, async (k) => {
      const now = new Date();
      const updates = batchSlice(k, task.ids, task.batchSize).map((memberId) => {
        const { body } = nthUpdate(n++, task.ids, task.changes, now);
        return { memberId, ...body };
      });
      const text = JSON.stringify({ updates });
      bodyBytes = Math.max(bodyBytes, Buffer.byteLength(text));
      const res = await post(text);
      count(statusCodes, String(res.status));
      if (res.status !== 200) return { updates: 0, ok: false };
      let applied = 0;
      for (const item of (JSON.parse(res.text) as { results: Array<{ result: string }> }).results) {
        count(results, item.result);
        if (item.result === 'applied') applied++;
      }
      return { updates: applied, ok: applied === updates.length };
    });
    return {
      batches: runStats(run.latencies, run.seconds, run.errors),
      updates: run.updates,
      updatesPerSecond: Math.round(run.updates / run.seconds),
      results,
      statusCodes,
      bodyBytes,
    };
  } finally {
    agent.destroy();
  }
}

/** The raw baseline of a batch: one transaction of multi-row statements per `batchSize` updates. */
async function pgBatches(task: Task<'pg-batches'>): Promise<BatchRunResult> {
  const pool = new Pool({ connectionString: task.target.databaseUrl, max: task.connections });
  const raw = new RawWritePath(task.target, ALL_COLUMNS);
  const statusCodes: Record<string, number> = {};
  try {
    const run = await batchLoops(task, async (k) => {
      const client = await pool.connect();
      try {
        const ids = batchSlice(k, task.ids, task.batchSize);
        const written = await raw.many(client, ids);
        count(statusCodes, 'committed');
        return { updates: written, ok: written === ids.length };
      } catch (error) {
        count(statusCodes, `error:${(error as { code?: string }).code ?? 'other'}`);
        return { updates: 0, ok: false };
      } finally {
        client.release();
      }
    });
    return {
      batches: runStats(run.latencies, run.seconds, run.errors),
      updates: run.updates,
      updatesPerSecond: Math.round(run.updates / run.seconds),
      results: {},
      statusCodes,
      bodyBytes: 0,
    };
  } finally {
    await pool.end();
  }
}

function perform(task: SyncLoadTask): Promise<SyncLoadResult> {
  switch (task.kind) {
    case 'http-updates':
      return httpUpdates(task);
    case 'pg-updates':
      return pgUpdates(task);
    case 'http-batches':
      return httpBatches(task);
    case 'pg-batches':
      return pgBatches(task);
  }
}

serveTasks(perform);
