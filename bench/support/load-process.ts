// The load generator: a process of its own, so the clients never share the API's event loop.
// Started by LoadClient with fork(); takes one LoadTask at a time over IPC.
import type { EventEmitter } from 'node:events';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { cpuShare, runStats, timedLoops } from './latency-stats';
import type { ListResult, LoadRequest, LoadResponse, LoadTask, ReadResult } from './load-tasks';

/** A raw read that did not find exactly one row (counted by row count, not as a failure of the query). */
class RowCountError extends Error {
  readonly key: string;
  constructor(rowCount: number | null) {
    super(`rows: ${rowCount}`);
    this.key = `rows:${rowCount}`;
  }
}

const pick = (ids: string[]) => ids[Math.floor(Math.random() * ids.length)];

function cannon(task: Extract<LoadTask, { kind: 'http-reads' }>, seconds: number, latencies?: number[]) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: task.baseUrl,
        connections: task.connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        headers: { authorization: `Bearer ${task.token}`, accept: 'application/json' },
        requests: [
          { method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/v1/members/${pick(task.ids)}` }) },
        ],
      },
      (error, result) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result),
    );
    // autocannon emits (client, statusCode, bytes, responseTime in ms, fractional).
    (instance as unknown as EventEmitter).on(
      'response',
      (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        if (latencies && statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      },
    );
  });
}

async function httpReads(task: Extract<LoadTask, { kind: 'http-reads' }>): Promise<ReadResult> {
  const warmup = await cannon(task, task.warmupSeconds);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const result = await cannon(task, task.seconds, latencies);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat?.count ?? 0;
  return {
    ...runStats(latencies, result.duration, result.errors + result.non2xx),
    warmupRequests: warmup.requests.total,
    statusCodes,
    clientCpu: cpuShare(cpu, result.duration),
  };
}

async function pgReads(task: Extract<LoadTask, { kind: 'pg-reads' }>): Promise<ReadResult> {
  const pool = new Pool({ connectionString: task.databaseUrl, max: task.connections });
  const clients = await Promise.all(Array.from({ length: task.connections }, () => pool.connect()));
  clients.forEach((c) => c.release());
  const statusCodes: Record<string, number> = {};
  const run = (seconds: number) =>
    timedLoops(
      task.connections,
      seconds,
      async () => {
        const { rowCount } = await pool.query('select * from member where id = $1', [pick(task.ids)]);
        if (rowCount !== 1) throw new RowCountError(rowCount);
      },
      (error) => {
        if (error instanceof RowCountError) statusCodes[error.key] = (statusCodes[error.key] ?? 0) + 1;
      },
    );
  try {
    const warmup = await run(task.warmupSeconds);
    const cpu = process.cpuUsage();
    const measured = await run(task.seconds);
    return {
      ...runStats(measured.latencies, measured.seconds, measured.errors),
      warmupRequests: warmup.latencies.length + warmup.errors,
      statusCodes: { ...statusCodes, rows1: measured.latencies.length },
      clientCpu: cpuShare(cpu, measured.seconds),
    };
  } finally {
    await pool.end();
  }
}

async function listWalks(task: Extract<LoadTask, { kind: 'list-walks' }>): Promise<ListResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: task.ca });
  const get = (path: string) =>
    new Promise<{ status: number; body: { data: unknown[]; nextCursor: string | null } }>(
      (resolve, reject) => {
        const req = request(
          `${task.baseUrl}${path}`,
          { agent, headers: { authorization: `Bearer ${task.token}`, accept: 'application/json' } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              try {
                resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as never });
              } catch {
                reject(new Error(`GET ${path}: ${res.statusCode} with a body that is not JSON`));
              }
            });
          },
        );
        req.on('error', reject);
        req.end();
      },
    );

  const first: number[] = [];
  const next: number[] = [];
  let errors = 0;
  let members = 0;
  let pages = 0;
  // One unmeasured walk warms the connection, the statement paths and the caches.
  for (let walk = -1; walk < task.walks; walk++) {
    let cursor: string | null = null;
    for (let page = 0; page < task.pagesPerWalk; page++) {
      const query = new URLSearchParams({ limit: String(task.limit), ...(cursor ? { cursor } : {}) });
      const t0 = performance.now();
      const res = await get(`/api/v1/members?${query.toString()}`);
      const ms = performance.now() - t0;
      if (res.status !== 200 || res.body.data.length !== task.limit) {
        errors++;
        break;
      }
      if (walk >= 0) {
        (page === 0 ? first : next).push(ms);
        members += res.body.data.length;
        pages++;
      }
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
  }
  agent.destroy();
  const seconds = [...first, ...next].reduce((a, b) => a + b, 0) / 1000;
  return {
    all: runStats([...first, ...next], seconds, errors),
    firstPage: runStats(first, first.reduce((a, b) => a + b, 0) / 1000, 0),
    cursorPages: runStats(next, next.reduce((a, b) => a + b, 0) / 1000, 0),
    membersPerPage: pages ? members / pages : 0,
  };
}

function perform(task: LoadTask): Promise<ReadResult | ListResult> {
  switch (task.kind) {
    case 'http-reads':
      return httpReads(task);
    case 'pg-reads':
      return pgReads(task);
    case 'list-walks':
      return listWalks(task);
  }
}

process.on('message', (message: LoadRequest) => {
  perform(message.task).then(
    (result) => process.send?.({ id: message.id, result } satisfies LoadResponse),
    (error: Error) =>
      process.send?.({ id: message.id, error: error.stack ?? error.message } satisfies LoadResponse),
  );
});
process.on('disconnect', () => process.exit(0));
