// The mixed load's generator: a process of its own, so the clients never share the API's event loop.
// Started by the mixed bench through ForkedTasks; takes one MixedLoadTask at a time over IPC.
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool, type PoolClient } from 'pg';
import { MEMBER_FIELD_NAMES, encryptedColumn } from '../../libs/members/src/catalog/field-catalog';
import { cpuShare, loopFor } from '../support/latency-stats';
import { serveTasks } from '../support/forked-tasks';
import { prng } from '../support/prng';
import { RawWritePath } from '../sync/raw-write-path';
import { nthUpdate, signedHeaders } from '../sync/update-bodies';
import { kindOf, MIX_BATCH_SIZE, MixTally, type MixKind } from './mix';
import type { MixedLoadTask, MixedRunResult } from './mixed-load-tasks';

type Task<K extends MixedLoadTask['kind']> = Extract<MixedLoadTask, { kind: K }>;

const count = (tally: Record<string, number>, key: string, n = 1) => (tally[key] = (tally[key] ?? 0) + n);

/** 70% reads, 20% signed single updates, 10% signed batches over keep-alive HTTPS (autocannon). */
async function httpMixed(task: Task<'http-mixed'>): Promise<MixedRunResult> {
  const random = prng(task.seed);
  // Members are changed round-robin (single updates and batch items alike), so none is changed twice at once.
  let n = 0;
  const statusCodes: Record<string, number> = {};
  const results: Record<string, number> = {};
  const headers = (text?: string): Record<string, string> => ({
    authorization: `Bearer ${task.target.token}`,
    accept: 'application/json',
    ...(text === undefined
      ? {}
      : {
          'content-type': 'application/json',
          ...signedHeaders(task.target.webhookSecret, text, Date.now()),
        }),
  });
  const cannon = (seconds: number, tally?: MixTally) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      // onResponse runs just before the instance's `response` event for the same response.
      let answered: { kind: MixKind; ok: boolean } | undefined;
      const instance = autocannon(
        {
          url: task.target.baseUrl,
          connections: task.connections,
          pipelining: 1,
          duration: seconds,
          timeout: 10,
          requests: [
            {
              setupRequest: (req, context: { kind?: MixKind; items?: number }) => {
                const kind = kindOf(random());
                context.kind = kind;
                if (kind === 'read') {
                  const id = task.ids[Math.floor(random() * task.ids.length)];
                  return {
                    ...req,
                    method: 'GET',
                    path: `/api/v1/members/${id}`,
                    headers: headers(),
                    body: undefined,
                  };
                }
                const now = new Date();
                if (kind === 'update') {
                  const { memberId, body } = nthUpdate(n++, task.ids, task.changes, now);
                  const text = JSON.stringify(body);
                  return {
                    ...req,
                    method: 'POST',
                    path: `/api/v1/members/${memberId}/updates`,
                    headers: headers(text),
                    body: text,
                  };
                }
                const updates = Array.from({ length: MIX_BATCH_SIZE }, () => {
                  const { memberId, body } = nthUpdate(n++, task.ids, task.changes, now);
                  return { memberId, ...body };
                });
                context.items = updates.length;
                const text = JSON.stringify({ updates });
                return {
                  ...req,
                  method: 'POST',
                  path: '/api/v1/sync/batches',
                  headers: headers(text),
                  body: text,
                };
              },
              onResponse: (status, body, context: { kind?: MixKind; items?: number }) => {
                const kind = context.kind ?? 'read';
                count(statusCodes, `${kind}:${status}`);
                let ok = status === 200;
                if (ok && kind !== 'read') {
                  try {
                    const parsed = JSON.parse(body) as {
                      result?: string;
                      results?: Array<{ result: string }>;
                    };
                    const items =
                      kind === 'update' ? [{ result: String(parsed.result) }] : (parsed.results ?? []);
                    for (const item of items) count(results, item.result);
                    // An answer that is not `applied` (duplicate, conflict) did not do the work measured.
                    ok =
                      items.every((i) => i.result === 'applied') &&
                      items.length === (kind === 'update' ? 1 : context.items);
                  } catch {
                    ok = false;
                  }
                }
                answered = { kind, ok };
              },
            },
          ],
        },
        (error, result) =>
          error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result),
      );
      (instance as unknown as EventEmitter).on(
        'response',
        (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
          if (!tally || !answered) return;
          if (answered.ok) tally.ok(answered.kind, responseTime);
          else tally.failed(answered.kind);
          answered = undefined;
        },
      );
    });
  const warmup = await cannon(task.warmupSeconds);
  const tally = new MixTally();
  for (const key of Object.keys(statusCodes)) delete statusCodes[key];
  for (const key of Object.keys(results)) delete results[key];
  const cpu = process.cpuUsage();
  const result = await cannon(task.seconds, tally);
  // Socket errors and timeouts never reach onResponse: they count as failed requests overall.
  const stats = tally.stats(result.duration);
  stats.overall.errors += result.errors;
  if (result.errors) count(statusCodes, 'socket-errors', result.errors);
  return {
    ...stats,
    warmupRequests: warmup.requests.total,
    statusCodes,
    results,
    clientCpu: cpuShare(cpu, result.duration),
  };
}

/** The raw baseline: `connections` clients running the same mix as the SQL of the members and sync baselines. */
async function pgMixed(task: Task<'pg-mixed'>): Promise<MixedRunResult> {
  const pool = new Pool({ connectionString: task.target.databaseUrl, max: task.connections });
  const raw = new RawWritePath(task.target, MEMBER_FIELD_NAMES.map(encryptedColumn));
  const random = prng(task.seed);
  const statusCodes: Record<string, number> = {};
  let n = 0;
  const nextWriteIds = (k: number) =>
    Array.from({ length: k }, () => task.writeIds[n++ % task.writeIds.length]);
  const clients: PoolClient[] = [];
  const run = (seconds: number, tally: MixTally) =>
    loopFor(task.connections, seconds, async (loop) => {
      const client = clients[loop];
      const kind = kindOf(random());
      const t0 = performance.now();
      try {
        if (kind === 'read') {
          const id = task.readIds[Math.floor(random() * task.readIds.length)];
          const { rowCount } = await client.query('select * from member where id = $1', [id]);
          if (rowCount !== 1) throw Object.assign(new Error('not found'), { code: `rows:${rowCount}` });
        } else if (kind === 'update') {
          await raw.one(client, nextWriteIds(1)[0]);
        } else {
          const ids = nextWriteIds(MIX_BATCH_SIZE);
          if ((await raw.many(client, ids)) !== ids.length) throw new Error('batch not written whole');
        }
      } catch (error) {
        tally.failed(kind);
        count(statusCodes, `error:${(error as { code?: string }).code ?? 'other'}`);
        return;
      }
      tally.ok(kind, performance.now() - t0);
    });
  try {
    // One connection per loop, held for the whole run (warm-up included).
    for (let i = 0; i < task.connections; i++) clients.push(await pool.connect());
    const warmup = new MixTally();
    await run(task.warmupSeconds, warmup);
    const tally = new MixTally();
    const cpu = process.cpuUsage();
    const seconds = await run(task.seconds, tally);
    const stats = tally.stats(seconds);
    return {
      ...stats,
      warmupRequests: warmup.count,
      statusCodes: { ...statusCodes, committed: stats.overall.requests },
      results: {},
      clientCpu: cpuShare(cpu, seconds),
    };
  } finally {
    clients.forEach((c) => c.release());
    await pool.end();
  }
}

serveTasks((task: MixedLoadTask) => (task.kind === 'http-mixed' ? httpMixed(task) : pgMixed(task)));
