// The sync bench's command line: `npm run bench -- sync [options]`.

export interface SyncOptions {
  members: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  batchConnections: number;
  seed: number;
  profile: boolean;
  waitQuietSeconds: number;
  convergence: { members: number; changes: number; simConcurrency: number } | null;
  quick: boolean;
}

const USAGE = `usage: npm run bench -- sync [--members 10000] [--connections 32] [--seconds 15] [--warmup 3]
       [--batch-connections 1] [--seed 20261130] [--wait-quiet 120] [--profile]
       [--skip-convergence] [--convergence-members 1000] [--convergence-changes 10000] [--sim-concurrency 4]
       [--quick]   (a smoke run: 1,000 members, 3 s runs, a 100 / 500 convergence scenario, no quiet wait)`;

export function parseSyncOptions(argv: string[]): SyncOptions {
  const known = new Set([
    '--members',
    '--connections',
    '--seconds',
    '--warmup',
    '--batch-connections',
    '--seed',
    '--wait-quiet',
    '--convergence-members',
    '--convergence-changes',
    '--sim-concurrency',
  ]);
  const flags = new Set(['--profile', '--skip-convergence', '--quick']);
  for (let i = 0; i < argv.length; i++) {
    if (flags.has(argv[i])) continue;
    if (known.has(argv[i]) && i + 1 < argv.length) {
      i++;
      continue;
    }
    throw new Error(`${USAGE}\nunknown option ${argv[i]}`);
  }
  const quick = argv.includes('--quick');
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
  const members = int('--members', quick ? 1000 : 10_000, 2);
  return {
    members,
    connections: int('--connections', 32),
    seconds: int('--seconds', quick ? 3 : 15),
    warmupSeconds: int('--warmup', quick ? 1 : 3, 0),
    batchConnections: int('--batch-connections', 1),
    seed: int('--seed', 20261130, 0),
    profile: argv.includes('--profile'),
    waitQuietSeconds: int('--wait-quiet', quick ? 0 : 120, 0),
    convergence: argv.includes('--skip-convergence')
      ? null
      : {
          members: int('--convergence-members', quick ? 100 : 1000),
          changes: int('--convergence-changes', quick ? 500 : 10_000, 0),
          simConcurrency: int('--sim-concurrency', 4),
        },
    quick,
  };
}
