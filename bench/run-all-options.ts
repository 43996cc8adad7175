// `npm run bench`'s command line (pure: the unit test reads it without loading the suites).
import { join } from 'node:path';
import { RESULTS_JSON } from './support/run-context';

/**
 * In the order they run at each size: the read-only members suite first, then the writers (whose raw
 * baselines write only the raw half of the members), audit last (its second, unaudited application
 * stays up until the size's stack closes; it reads the API's half).
 */
export const ALL_SUITES = ['members', 'mixed', 'sync', 'audit'] as const;
export type SuiteName = (typeof ALL_SUITES)[number];

export interface RunAllOptions {
  sizes: number[];
  quick: boolean;
  suites: SuiteName[];
  waitQuietSeconds: number | null;
  out: string;
  seed: number;
}

export const RUN_ALL_USAGE = `usage: npm run bench [-- [--quick] [--sizes 10000,1000000] [--suites members,mixed,sync,audit]
       [--wait-quiet 120] [--out bench/results.json] [--seed 20261201]]
  --quick   a smoke run: 10,000 members only, 3 s runs, 20,000 audit events, no quiet-machine wait;
            writes bench/reports/results-quick.json unless --out says otherwise
  or: npm run bench -- <audit|members|mixed|sync> [suite options]   (one suite; see README)`;

export function parseRunAllOptions(argv: string[]): RunAllOptions {
  const fail = (why: string): never => {
    throw new Error(`${RUN_ALL_USAGE}\n${why}`);
  };
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') flags.add(arg);
    else if (['--sizes', '--suites', '--wait-quiet', '--out', '--seed'].includes(arg) && i + 1 < argv.length)
      values.set(arg, argv[++i]);
    else fail(`unknown option ${arg}`);
  }
  const quick = flags.has('--quick');
  const sizes = (values.get('--sizes') ?? (quick ? '10000' : '10000,1000000'))
    .split(',')
    .map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 1000)) fail('sizes are integers ≥ 1000');
  const suites = (values.get('--suites') ?? ALL_SUITES.join(',')).split(',').map((s) => s.trim());
  for (const s of suites)
    if (!(ALL_SUITES as readonly string[]).includes(s)) fail(`unknown suite ${s} (${ALL_SUITES.join(', ')})`);
  const int = (name: string, fallback: number) => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) fail(`${name} must be a non-negative integer`);
    return Number(raw);
  };
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    quick,
    suites: ALL_SUITES.filter((s) => suites.includes(s)),
    waitQuietSeconds: values.has('--wait-quiet') ? int('--wait-quiet', 0) : quick ? 0 : null,
    out: values.get('--out') ?? (quick ? join(__dirname, 'reports', 'results-quick.json') : RESULTS_JSON),
    seed: int('--seed', 20261201),
  };
}

/**
 * Each suite's own options under `npm run bench`: its defaults (the earlier issues' scenarios), and for
 * --quick the short runs; --wait-quiet passed through.
 */
export function suiteArgv(
  suite: SuiteName,
  options: Pick<RunAllOptions, 'quick' | 'waitQuietSeconds'>,
): string[] {
  const quick: Record<SuiteName, string[]> = {
    audit: ['--events', '20000', '--rounds', '1', '--duration', '3', '--warmup', '1'],
    members: ['--duration', '3', '--warmup', '1', '--walks', '5', '--pages', '3'],
    mixed: ['--quick'],
    sync: ['--quick'],
  };
  const argv = options.quick ? [...quick[suite]] : [];
  if (options.waitQuietSeconds !== null) argv.push('--wait-quiet', String(options.waitQuietSeconds));
  return argv;
}
