import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { JobQueues } from '@app/common';
import { OrganizationsService } from '@app/identity';
import { SourcePoller } from '@app/sync';
import { ensureDevCertificate } from '../../apps/cli/src/launcher/dev-tls';
import { loadSimConfig, startMembershipSim, type GenerationRun } from '../../apps/membership-sim/src';
import { createWorkerApplication } from '../../apps/worker/src/worker-app';
import { defaultBenchStackOptions, startBenchStack } from '../support/bench-stack';
import { expectStatus, httpsJson } from '../support/https-json';
import { benchSource } from '../support/source-partner';
import { log, query } from '../support/bench-report';
import { onInterrupt } from '../support/run-context';

const GROUPS = [
  'identity',
  'governmentId',
  'contact',
  'membership',
  'coverage',
  'dependents',
  'wellness',
  'preferences',
] as const;

export interface ConvergenceOptions {
  members: number;
  changes: number;
  seed: number;
  dropRate: number;
  duplicateRate: number;
  /** Webhooks the sim sends at once. */
  simConcurrency: number;
}

export interface ConvergenceResult {
  members: number;
  changes: number;
  /** The sim's account of the webhooks: sent, dropped, duplicated, responses by status. */
  webhooks: Pick<GenerationRun, 'events' | 'sent' | 'dropped' | 'duplicated' | 'requests' | 'responses'>;
  webhooksSeconds: number;
  /** Members (of the sim's) that differ from ours before the poll: the gaps the dropped webhooks left. */
  differingBeforePoll: number;
  pollSeconds: number;
  poll: Record<string, unknown>;
  totalSeconds: number;
  /** Counts after the poll: our members of the source vs the sim's, and each event recorded once. */
  counts: { ours: number; sim: number; appliedEvents: number; distinctEvents: number };
  differingAfterPoll: number;
  converged: boolean;
  /** No raw equivalent: the figure is the sim's webhook sender plus our ingest and one poll, end to end. */
  raw: null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The convergence scenario of issue 10 (as test/sync-polling.e2e-spec.ts drives it), timed: the sim
 * generates members and changes and sends them as webhooks with drops, duplicates and reordering;
 * then one poll of its change feed fills the gaps. Its own throwaway stack, run as `development`
 * because the poller only reads a loopback feed outside production (the sim serves our certificate).
 */
export async function runConvergence(options: ConvergenceOptions): Promise<ConvergenceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'msync-bench-sync-'));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  await ensureDevCertificate(files.cert, files.key);
  const ca = readFileSync(files.cert, 'utf8');
  const defaults = defaultBenchStackOptions();
  const stack = await startBenchStack({
    ...defaults,
    env: { ...defaults.env, NODE_ENV: 'development', TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key },
  });
  const simDatabase = `msync_bench_sim_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const pg = new Client({ connectionString: defaults.pgAdminUrl });
    await pg.connect();
    try {
      await pg.query(sql);
    } finally {
      await pg.end();
    }
  };
  const cleanups: Array<() => Promise<unknown>> = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    () => stack.close(),
    () => admin(`drop database if exists "${simDatabase}" with (force)`),
  ];
  // Ctrl-C mid-scenario also stops the sim and worker and drops both databases.
  const release = onInterrupt(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  try {
    const worker = await createWorkerApplication(stack.config);
    cleanups.push(() => worker.close());
    const { id: organizationId } = await stack.app.get(OrganizationsService).create('Bench sync org', {
      system: 'bench:sync',
      request: { ip: 'local', method: 'CLI', route: 'bench sync', requestId: randomUUID() },
    });
    const source = await benchSource(stack, organizationId, ca);
    const feedToken = `feed-${randomBytes(16).toString('hex')}`;
    const simUrl = Object.assign(new URL(defaults.pgAdminUrl), { pathname: `/${simDatabase}` }).toString();
    const sim = await startMembershipSim(
      loadSimConfig({
        SIM_PORT: '0',
        SIM_HOST: '127.0.0.1',
        SIM_DATABASE_URL: simUrl,
        SIM_TLS_CERT_FILE: files.cert,
        SIM_TLS_KEY_FILE: files.key,
        SIM_FEED_TOKEN: feedToken,
      }),
    );
    cleanups.push(() => sim.close());
    expectStatus(
      await httpsJson(ca, 'PUT', `${sim.url}/sim/target`, {
        json: {
          baseUrl: stack.baseUrl,
          organizationId,
          clientId: source.clientId,
          clientSecret: source.clientSecret,
          webhookSecret: source.webhookSecret,
          caPem: ca,
        },
      }),
      204,
      'sim target',
    );
    const created = expectStatus(
      await httpsJson(ca, 'POST', `${stack.baseUrl}/api/v1/admin/sources`, {
        token: source.securityToken,
        json: {
          partnerId: source.partnerId,
          changeFeedUrl: `${sim.url}/changes`,
          pollIntervalSeconds: 86_400,
          bearerToken: feedToken,
        },
      }),
      201,
      'source',
    );
    const sourceId = created.id as string;
    await idleQueue(stack.app.get(JobQueues));

    const differing = async () =>
      differingMembers(ca, stack.baseUrl, sim.url, await source.token(), stack.databaseUrl, source.partnerId);

    log(
      `• convergence: the sim sends ${options.members} members / ${options.changes} changes as webhooks (${options.dropRate * 100}% dropped, ${options.duplicateRate * 100}% duplicated, reordered)`,
    );
    const started = performance.now();
    const run = expectStatus(
      await httpsJson(ca, 'POST', `${sim.url}/sim/generate`, {
        json: {
          members: options.members,
          changes: options.changes,
          seed: options.seed,
          dropRate: options.dropRate,
          duplicateRate: options.duplicateRate,
          reorder: true,
          concurrency: options.simConcurrency,
        },
      }),
      200,
      'generate',
    ) as unknown as GenerationRun;
    const webhooksSeconds = (performance.now() - started) / 1000;
    if (run.status !== 'done') throw new Error(`the sim's run ended ${run.status}`);
    const before = await differing();

    log('• convergence: one poll of the change feed');
    const pollStarted = performance.now();
    const poll = (await worker.get(SourcePoller).poll(sourceId)) as unknown as Record<string, unknown>;
    const pollSeconds = (performance.now() - pollStarted) / 1000;
    const after = await differing();
    const [events] = await query<{ n: string; distinct_events: string }>(
      stack.databaseUrl,
      'select count(*) as n, count(distinct event_id) as distinct_events from sync_applied_event where source_partner_id = $1',
      [source.partnerId],
    );
    const counts = {
      ours: after.ours,
      sim: after.sim,
      appliedEvents: Number(events.n),
      distinctEvents: Number(events.distinct_events),
    };
    const unexpected = Object.keys(run.responses).filter((code) => !/^(2..|409)$/.test(code));
    const converged =
      after.differing === 0 &&
      counts.ours === counts.sim &&
      counts.sim === options.members &&
      counts.appliedEvents === counts.distinctEvents &&
      unexpected.length === 0 &&
      poll.outcome === 'done';
    return {
      members: options.members,
      changes: options.changes,
      webhooks: {
        events: run.events,
        sent: run.sent,
        dropped: run.dropped,
        duplicated: run.duplicated,
        requests: run.requests,
        responses: run.responses,
      },
      webhooksSeconds: round(webhooksSeconds),
      differingBeforePoll: before.differing,
      pollSeconds: round(pollSeconds),
      poll,
      totalSeconds: round(webhooksSeconds + pollSeconds),
      counts,
      differingAfterPoll: after.differing,
      converged,
      raw: null,
    };
  } finally {
    await release();
  }
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;

/** Waits for the polling queue to drain (the schedule's first run, on an empty feed). */
async function idleQueue(queues: JobQueues): Promise<void> {
  const queue = queues.queue('polling');
  for (let i = 0; i < 600; i += 1) {
    const counts = await queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed');
    if (counts.active + counts.waiting + counts.prioritized === 0) return;
    await pause(100);
  }
  throw new Error('the polling queue did not drain');
}

/** Every sim member against ours, group by group, read through the API: how many differ. */
async function differingMembers(
  ca: string,
  baseUrl: string,
  simUrl: string,
  token: string,
  databaseUrl: string,
  partnerId: string,
): Promise<{ differing: number; ours: number; sim: number }> {
  const ours = new Map(
    (
      await query<{ id: string; source_ref: string }>(
        databaseUrl,
        'select id, source_ref from member where source_partner_id = $1',
        [partnerId],
      )
    ).map((r) => [r.source_ref, r.id]),
  );
  let differing = 0;
  let sim = 0;
  let cursor: string | null = null;
  do {
    const page = expectStatus(
      await httpsJson(ca, 'GET', `${simUrl}/sim/members?limit=200${cursor ? `&cursor=${cursor}` : ''}`),
      200,
      'sim members',
    ) as { data: Array<Record<string, unknown>>; nextCursor: string | null };
    for (const view of page.data) {
      sim += 1;
      const id = ours.get(view.sourceRef as string);
      if (!id) {
        differing += 1;
        continue;
      }
      const res = expectStatus(
        await httpsJson(ca, 'GET', `${baseUrl}/api/v1/members/${id}`, { token }),
        200,
        'member read',
      );
      if (GROUPS.some((group) => !isDeepStrictEqual(res[group] ?? null, view[group] ?? null))) differing += 1;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { differing, ours: ours.size, sim };
}
