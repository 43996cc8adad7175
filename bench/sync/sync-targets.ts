/** Issue 10's targets, the one place the sync bench keeps them: the table and the report judge against these. */
export const SYNC_TARGETS = {
  /** Signed single updates at `--connections` vs a raw one-transaction-per-update pool, same run. */
  singleShareOfRaw: 1.0,
  singleP99Ms: 25,
  /** 1,000-update batches vs a raw batched upsert of the same rows (one transaction per batch). */
  batchShareOfRaw: 0.2,
} as const;

/** What the judge needs of a run (the full results carry more). */
export interface SyncFigures {
  single: { apiPerSecond: number; apiP99: number; apiErrors: number; rawPerSecond: number; rawP99: number };
  batch: { apiUpdatesPerSecond: number; apiErrors: number; rawUpdatesPerSecond: number } | null;
  /** Null when skipped; otherwise whether the scenario converged (counts and field by field). */
  convergence: { converged: boolean; seconds: number } | null;
}

export interface SyncVerdict {
  target: string;
  /** The figure judged: a ratio, milliseconds, a count, or 1/0 for converged. */
  value: number;
  /** The raw baseline from the same run, where the target compares with one. */
  baseline?: number;
  /** The bound it is judged against (≥ for shares, ≤ for latency, = 0 for errors). */
  limit: number;
  pass: boolean;
  /** Where to look next when it fails (never a lowered target). */
  nextLever?: string;
}

const LEVERS = {
  singleShare:
    "read the group commit's changes per transaction and the profile (--profile): groups amortise BEGIN/COMMIT, but a group runs its changes one after another, about 9 round trips each (savepoint, lock, event check, update, audit head + append, event, outbox, release) while other groups wait on the audit head; write a group's changes with multi-row statements (one lock, one audit append, one event and one outbox insert per group) and decrypt only the fields a change names",
  singleP99:
    "at N connections latency is about N / throughput (Little's law): p99 ≤ 25 ms at 32 connections needs well over 1,280 updates/s, so it follows the throughput lever, then the wait for the group ahead",
  errors:
    'read the status and result tallies in the report: a non-applied answer is a setup or conflict-policy bug',
  batchShare:
    "a batch's items take the single update's path (about 9 round trips each, in groups of at most 100): the multi-row group write is the lever here too",
  convergence:
    'the report lists what differs after the poll: read the poller summary (processed / applied / rejected)',
} as const;

/** Every target of issue 10 judged on one run's figures. Pure: the table, the report and the unit test use it. */
export function judgeSync(figures: SyncFigures): SyncVerdict[] {
  const verdicts: SyncVerdict[] = [];
  const add = (v: SyncVerdict, lever: string) => verdicts.push(v.pass ? v : { ...v, nextLever: lever });
  // Judged on the exact ratio; the value shown is rounded (a rounded 0.19996 must not pass as 0.2).
  const share = (api: number, raw: number) => (raw > 0 ? api / raw : 0);
  const shown = (ratio: number) => Math.round(ratio * 10000) / 10000;

  const s = figures.single;
  const singleShare = share(s.apiPerSecond, s.rawPerSecond);
  add(
    {
      target: 'singleShareOfRaw',
      value: shown(singleShare),
      baseline: s.rawPerSecond,
      limit: SYNC_TARGETS.singleShareOfRaw,
      pass: singleShare >= SYNC_TARGETS.singleShareOfRaw,
    },
    LEVERS.singleShare,
  );
  add(
    {
      target: 'singleP99Ms',
      value: s.apiP99,
      baseline: s.rawP99,
      limit: SYNC_TARGETS.singleP99Ms,
      pass: Number.isFinite(s.apiP99) && s.apiP99 <= SYNC_TARGETS.singleP99Ms,
    },
    LEVERS.singleP99,
  );
  add({ target: 'singleErrors', value: s.apiErrors, limit: 0, pass: s.apiErrors === 0 }, LEVERS.errors);
  if (figures.batch) {
    const b = figures.batch;
    const batchShare = share(b.apiUpdatesPerSecond, b.rawUpdatesPerSecond);
    add(
      {
        target: 'batchShareOfRaw',
        value: shown(batchShare),
        baseline: b.rawUpdatesPerSecond,
        limit: SYNC_TARGETS.batchShareOfRaw,
        pass: batchShare >= SYNC_TARGETS.batchShareOfRaw,
      },
      LEVERS.batchShare,
    );
    add({ target: 'batchErrors', value: b.apiErrors, limit: 0, pass: b.apiErrors === 0 }, LEVERS.errors);
  }
  if (figures.convergence) {
    add(
      {
        target: 'convergence',
        value: figures.convergence.converged ? 1 : 0,
        limit: 1,
        pass: figures.convergence.converged,
      },
      LEVERS.convergence,
    );
  }
  return verdicts;
}

/** One PASS/FAIL line per verdict, a failed one followed by its next lever. */
export function verdictLines(verdicts: readonly SyncVerdict[]): string[] {
  const lines: string[] = [];
  for (const v of verdicts) {
    const baseline = v.baseline === undefined ? '' : ` (raw ${v.baseline})`;
    lines.push(`${v.pass ? 'PASS' : 'FAIL'} ${v.target}: ${v.value}${baseline}, target ${describeLimit(v)}`);
    if (v.nextLever) lines.push(`     next lever: ${v.nextLever}`);
  }
  const failed = verdicts.filter((v) => !v.pass);
  lines.push(
    failed.length
      ? `${failed.length} of ${verdicts.length} checks FAIL: ${failed.map((v) => v.target).join(', ')}`
      : `all ${verdicts.length} checks PASS`,
  );
  return lines;
}

function describeLimit(v: SyncVerdict): string {
  if (v.target.endsWith('Errors')) return '0';
  if (v.target === 'convergence') return 'converged';
  if (v.target.endsWith('Ms')) return `≤ ${v.limit} ms`;
  return `≥ ${v.limit}× raw`;
}
