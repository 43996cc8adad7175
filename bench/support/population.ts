// The members a benchmark measures against: seeded through the real encryption path into a bench
// stack, with the partner clients the suites call the API as. `npm run bench` seeds one population per
// size and runs every suite on it; a suite run alone seeds its own.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { extname, join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { MemberSeeder } from '@app/members';
import type { BenchStack } from './bench-stack';
import { query } from './bench-report';
import { benchPartnerClient } from './partner-client';
import { onInterrupt } from './run-context';
import type { SeedMessage, SeedRange } from './seed-process';
import { benchSource, type BenchSource } from './source-partner';

export interface Seeding {
  organizationId: string;
  members: number;
  seconds: number;
}

/**
 * Seeds members `from`..`to` (generator indexes) of one organization (a new one unless given) with
 * MemberSeeder, as `npm run seed` does, showing a progress bar on stderr.
 */
export async function seedMembers(
  stack: BenchStack,
  options: {
    from: number;
    to: number;
    seed: number;
    organizationId?: string;
    batchSize?: number;
    system: string;
  },
): Promise<Seeding> {
  const bar = new SingleBar({
    stream: process.stderr,
    format: `seeding |{bar}| {value}/{total} members | {speed} members/s | ETA {eta_formatted}`,
    etaBuffer: 50,
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 30_000,
  });
  const started = Date.now();
  bar.start(options.to, options.from, { speed: 0 });
  try {
    return await stack.app.get(MemberSeeder).seed({
      actor: seedActor(options.system),
      members: options.to - options.from,
      seed: options.seed,
      organizationId: options.organizationId,
      firstIndex: options.from,
      batchSize: options.batchSize ?? 1000,
      onProgress: (seeded) =>
        bar.update(options.from + seeded, {
          speed: Math.round(seeded / Math.max(0.001, (Date.now() - started) / 1000)),
        }),
    });
  } finally {
    bar.stop();
  }
}

/** Below this many members one process seeds alone (a second one costs a few seconds to boot). */
const PARALLEL_FROM = 50_000;

/**
 * Seeds `members` members of a new organization through the real encryption path, using a second
 * process for half of them when the population is large: on 2 vCPUs seeding is bound by this
 * process's encryption, so a second process (same configuration, database and key file) nearly
 * halves the time. The rows are exactly what one process would write (same generator indexes).
 */
export async function seedPopulation(
  stack: BenchStack,
  options: { members: number; seed: number; system: string },
): Promise<Seeding> {
  if (options.members < PARALLEL_FROM)
    return seedMembers(stack, { from: 0, to: options.members, seed: options.seed, system: options.system });
  const started = Date.now();
  const batchSize = 1000;
  const { organizationId } = await seedMembers(stack, {
    from: 0,
    to: 0,
    seed: options.seed,
    system: options.system,
  });
  const half = Math.floor(options.members / 2 / batchSize) * batchSize;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `seeding (2 processes) |{bar}| {value}/{total} members | {speed} members/s | ETA {eta_formatted}`,
    etaBuffer: 50,
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 30_000,
  });
  const seeded = { here: 0, there: 0 };
  const update = () =>
    bar.update(seeded.here + seeded.there, {
      speed: Math.round((seeded.here + seeded.there) / Math.max(0.001, (Date.now() - started) / 1000)),
    });
  bar.start(options.members, 0, { speed: 0 });
  const child = fork(join(__dirname, `seed-process${extname(__filename)}`), [], {
    env: { ...process.env, ...stack.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const release = onInterrupt(() => child.kill());
  try {
    const there = new Promise<void>((resolve, reject) => {
      child.on('message', (message: SeedMessage) => {
        if ('progress' in message) {
          seeded.there = message.progress;
          update();
        } else if ('done' in message) resolve();
        else reject(new Error(`seed process: ${message.error}`));
      });
      child.on('exit', (code) => reject(new Error(`seed process exited (${code}) before it finished`)));
    });
    child.send({
      organizationId,
      from: half,
      to: options.members,
      seed: options.seed,
      system: options.system,
      batchSize,
    } satisfies SeedRange);
    const here = stack.app.get(MemberSeeder).seed({
      actor: seedActor(options.system),
      members: half,
      seed: options.seed,
      organizationId,
      firstIndex: 0,
      batchSize,
      onProgress: (n) => {
        seeded.here = n;
        update();
      },
    });
    await Promise.all([here, there]);
  } finally {
    bar.stop();
    await release();
  }
  const [{ count }] = await query<{ count: string }>(
    stack.databaseUrl,
    'select count(*) as count from member where organization_id = $1',
    [organizationId],
  );
  if (Number(count) !== options.members)
    throw new Error(`seeding wrote ${count} members, not ${options.members}`);
  return { organizationId, members: options.members, seconds: (Date.now() - started) / 1000 };
}

/** Who a benchmark's seeding is audited as: the system `bench:<suite>`, a CLI-like request. */
export function seedActor(system: string) {
  return {
    system,
    request: { ip: 'local', method: 'CLI', route: system.replace(':', ' '), requestId: randomUUID() },
  };
}

/** A seeded stack every suite of `npm run bench` measures at one size, and the clients they share. */
export interface Population {
  stack: BenchStack;
  organizationId: string;
  /** Members of the organization (the size measured). */
  members: number;
  seed: number;
  seeding: { members: number; seconds: number; perSecond: number };
  /** A members:read partner's fresh access token (one client for every suite). */
  readToken(): Promise<string>;
  /** The membership-system source (sync:write + members:read) every writing suite uses. */
  source(): Promise<BenchSource>;
}

export function populationOf(stack: BenchStack, seeding: Seeding, seed: number): Population {
  let reader: Promise<() => Promise<string>> | undefined;
  let source: Promise<BenchSource> | undefined;
  return {
    stack,
    organizationId: seeding.organizationId,
    members: seeding.members,
    seed,
    seeding: {
      members: seeding.members,
      seconds: Math.round(seeding.seconds * 10) / 10,
      perSecond: Math.round(seeding.members / Math.max(0.001, seeding.seconds)),
    },
    readToken: async () => (await (reader ??= benchPartnerClient(stack, seeding.organizationId)))(),
    source: () => (source ??= benchSource(stack, seeding.organizationId)),
  };
}

/** Vacuum, analyze and checkpoint, so seeding or appending leaves no background work behind a measurement. */
export async function settle(stack: BenchStack, tables: string[]): Promise<void> {
  for (const table of tables) await query(stack.databaseUrl, `vacuum (analyze) ${table}`);
  await query(stack.databaseUrl, 'checkpoint');
}

/**
 * The organization's members in two fixed halves (ordered by md5 of the id, alternating): the API's
 * writers change only the first, the raw baselines (which write bytes that are no ciphertext) only
 * the second, so the API never reads a member a baseline wrote. Every writing suite uses this split.
 */
export async function memberHalves(
  stack: BenchStack,
  organizationId: string,
): Promise<{ apiIds: string[]; rawIds: string[] }> {
  const ids = (
    await query<{ id: string }>(
      stack.databaseUrl,
      'select id from member where organization_id = $1 order by md5(id)',
      [organizationId],
    )
  ).map((r) => r.id);
  return { apiIds: ids.filter((_, i) => i % 2 === 0), rawIds: ids.filter((_, i) => i % 2 === 1) };
}

/** Up to `limit` random member ids of the organization (the read benchmarks' id sample). */
export async function sampleIds(stack: BenchStack, organizationId: string, limit: number): Promise<string[]> {
  return (
    await query<{ id: string }>(
      stack.databaseUrl,
      'select id from member where organization_id = $1 order by random() limit $2',
      [organizationId, limit],
    )
  ).map((r) => r.id);
}
