// What every benchmark suite prints and records the same way: progress lines, number formatting,
// a one-off query, the checkout's state and where reports go.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** Progress goes to stderr, so stdout holds the table only. */
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** A number with thousands separators and a fixed number of decimals; `-` when not measured. */
export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

/** One query on a connection of its own (setup and checks, never inside a measured run). */
export async function query<T>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The commit measured and how many files differed from it, for the report. */
export function gitState(): { commit: string | null; uncommittedFiles: number | null } {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return {
      commit: git(['rev-parse', 'HEAD']).trim(),
      uncommittedFiles: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
    };
  } catch {
    return { commit: null, uncommittedFiles: null };
  }
}

/** bench/reports/, created on first use (git-ignored). */
export function reportsDir(): string {
  const dir = join(__dirname, '..', 'reports');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A report file's timestamp: the ISO time with `:` and `.` made file-name safe. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}
