import { spawn } from 'node:child_process';

/**
 * The shell examples of a document, as test/docs-curl.e2e-spec.ts runs them. A fenced `sh` or
 * `bash` block is marked by an HTML comment on the line before its fence (blank lines between are
 * allowed):
 *
 *   <!-- runnable: expect 201 200 -->   run it; its curl calls must answer these statuses, in order
 *   <!-- runnable: setup -->            run it (it must exit 0) and prepend it to every later block
 *   <!-- illustrative: <reason> -->     not run; the reason says why (e.g. needs a public endpoint)
 */
export type BlockKind = 'runnable' | 'setup' | 'illustrative' | 'unmarked';

export interface DocBlock {
  doc: string;
  line: number;
  heading: string;
  kind: BlockKind;
  statuses: number[];
  reason: string;
  code: string;
}

const MARKER = /^<!--\s*(runnable|illustrative)\s*:\s*(.*?)\s*-->$/;

export function parseDocBlocks(markdown: string, doc: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (/^#{1,6} /.test(text)) heading = text.replace(/^#+ /, '');
    const fence = /^(\s*)```(\w*)\s*$/.exec(text);
    if (!fence) continue;
    const end = lines.findIndex((candidate, j) => j > i && candidate.trim() === '```');
    if (end < 0) break;
    const indent = fence[1].length;
    const code = lines
      .slice(i + 1, end)
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    if (fence[2] === 'sh' || fence[2] === 'bash') {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const marker = before >= 0 ? MARKER.exec(lines[before].trim()) : null;
      blocks.push({ doc, line: i + 1, heading, code, ...markerOf(marker) });
    }
    i = end;
  }
  return blocks;
}

function markerOf(marker: RegExpExecArray | null): Pick<DocBlock, 'kind' | 'statuses' | 'reason'> {
  if (!marker) return { kind: 'unmarked', statuses: [], reason: '' };
  if (marker[1] === 'illustrative') return { kind: 'illustrative', statuses: [], reason: marker[2] };
  if (marker[2] === 'setup') return { kind: 'setup', statuses: [], reason: '' };
  const expect = /^expect((?:\s+\d{3})+)$/.exec(marker[2]);
  if (!expect) throw new Error(`malformed marker: ${marker[0]}`);
  return { kind: 'runnable', statuses: expect[1].trim().split(/\s+/).map(Number), reason: '' };
}

/** A block that calls our API with curl (the ones that must be runnable or say why not). */
export function talksToApi(block: DocBlock): boolean {
  return /\bcurl\b/.test(block.code) && /\$BASE\b|\$\{BASE\}/.test(block.code);
}

/** Every variable a block reads ($NAME or ${NAME}). */
export function variablesOf(code: string): Set<string> {
  return new Set([...code.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]));
}

export interface BlockRun {
  exitCode: number | null;
  statuses: number[];
  stdout: string;
  stderr: string;
}

// Every curl call reports its HTTP status on stderr, after anything the example itself prints, so
// the examples stay exactly as a reader would type them.
const CURL_PROBE = `curl() { command curl --write-out '%{stderr}\\n@@status %{http_code}\\n' "$@"; }`;

/** Runs `prelude` + `code` with bash in `cwd` with exactly `env` (plus PATH), within `timeoutMs`. */
export function runBlock(
  code: string,
  options: { prelude?: string; env: Record<string, string>; cwd: string; timeoutMs?: number },
): Promise<BlockRun> {
  const script = ['set -euo pipefail', CURL_PROBE, options.prelude ?? '', code].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const statuses = [...stderr.matchAll(/^@@status (\d{3})$/gm)].map((match) => Number(match[1]));
      resolve({ exitCode, statuses, stdout, stderr: stderr.replace(/^@@status \d{3}\n?/gm, '') });
    });
  });
}
