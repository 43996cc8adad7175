import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The reference syntax of docs/hipaa-controls.md and docs/threat-model.md, checked so a renamed
 * file or test breaks the build instead of leaving a claim nothing proves:
 *
 *   `libs/x/src/thing.ts`                        a file (or `dir/*`, `prefix.*`) that must exist
 *   `test/x.e2e-spec.ts` › "test name"; "other"  test names that must occur in that file
 *
 * A bare file name (`field-cipher.spec.ts`) must name exactly one file of the repository. A test
 * name ending in "…" is a prefix (for long names cut short in a table cell).
 */
export interface DocReference {
  doc: string;
  line: number;
  path: string;
  testNames: string[];
}

const ROOTS = ['apps/', 'libs/', 'test/', 'migrations/', 'docs/', 'bench/', '.ci/', 'scripts/'];
const BARE_FILE = /^[\w.-]+\.(ts|js|json|md|sh|sql)$/;
const PATH_TOKEN = /^[\w@.*-]+(\/[\w@.*-]+)+\/?$/;

function isPathToken(token: string): boolean {
  if (/\s/.test(token)) return false;
  if (ROOTS.some((root) => token.startsWith(root))) return PATH_TOKEN.test(token);
  return BARE_FILE.test(token);
}

/** Every path reference of a markdown document, with the test names cited after `›`. */
export function parseReferences(markdown: string, doc: string): DocReference[] {
  const refs: DocReference[] = [];
  let inFence = false;
  markdown.split('\n').forEach((text, index) => {
    if (text.trimStart().startsWith('```')) inFence = !inFence;
    if (inFence) return;
    const token = /`([^`\n]+)`/g;
    for (let match = token.exec(text); match; match = token.exec(text)) {
      const path = match[1];
      if (!isPathToken(path)) continue;
      refs.push({ doc, line: index + 1, path, testNames: testNamesAfter(text, token.lastIndex) });
    }
  });
  return refs;
}

/** `› "a"; "b", "c"` right after a reference: the quoted names up to anything else. */
function testNamesAfter(text: string, from: number): string[] {
  const rest = text.slice(from);
  const arrow = /^\s*›\s*/.exec(rest);
  if (!arrow) return [];
  const names: string[] = [];
  let at = arrow[0].length;
  for (;;) {
    const sep = /^[\s;,]*/.exec(rest.slice(at));
    const start = at + (sep ? sep[0].length : 0);
    if (rest[start] !== '"') break;
    const end = rest.indexOf('"', start + 1);
    if (end < 0) break;
    names.push(rest.slice(start + 1, end));
    at = end + 1;
  }
  return names;
}

/** The repository's files (relative paths), without dependencies, build output or VCS data. */
export function listRepositoryFiles(root: string): string[] {
  const skip = new Set(['node_modules', 'dist', '.git', '.data', 'coverage']);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (skip.has(name)) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out;
}

/** What is wrong with one reference; empty when the file exists and every cited test name occurs in it. */
export function checkReference(ref: DocReference, root: string, files: readonly string[]): string[] {
  const where = `${ref.doc}:${ref.line}`;
  const resolved = resolvePath(ref.path, files);
  if (typeof resolved !== 'string') return [`${where}: ${ref.path}: ${resolved.problem}`];
  if (ref.testNames.length === 0) return [];
  if (ref.path.includes('*')) return [`${where}: ${ref.path}: test names need one file, not a pattern`];
  const source = readFileSync(join(root, resolved), 'utf8');
  return ref.testNames
    .filter((name) => !occursIn(name, source))
    .map((name) => `${where}: no test "${name}" in ${resolved}`);
}

function resolvePath(path: string, files: readonly string[]): string | { problem: string } {
  if (!path.includes('/')) {
    const matches = files.filter((file) => file === path || file.endsWith(`/${path}`));
    if (matches.length === 1) return matches[0];
    return { problem: matches.length ? `names ${matches.length} files; give the directory` : 'no such file' };
  }
  const clean = path.replace(/\/$/, '');
  if (clean.includes('*')) {
    const pattern = new RegExp(`^${clean.split('*').map(escapeRegExp).join('[^/]*')}(/.*)?$`);
    return files.some((file) => pattern.test(file)) ? clean : { problem: 'matches no file' };
  }
  if (files.includes(clean)) return clean;
  if (files.some((file) => file.startsWith(`${clean}/`))) return clean;
  return { problem: 'no such file' };
}

function occursIn(name: string, source: string): boolean {
  const prefix = name.endsWith('…');
  const wanted = prefix ? name.slice(0, -1) : name;
  const candidates = [wanted, wanted.replace(/'/g, "\\'"), wanted.replace(/"/g, '\\"')];
  return candidates.some((candidate) => {
    if (!candidate) return false;
    for (const quote of ["'", '"', '`']) {
      if (source.includes(prefix ? `${quote}${candidate}` : `${quote}${candidate}${quote}`)) return true;
    }
    return false;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Every problem of every reference in the given documents (repo-relative paths). */
export function checkDocuments(root: string, docs: readonly string[]): string[] {
  const files = listRepositoryFiles(root);
  return docs.flatMap((doc) => {
    if (!existsSync(join(root, doc))) return [`${doc}: missing`];
    return parseReferences(readFileSync(join(root, doc), 'utf8'), doc).flatMap((ref) =>
      checkReference(ref, root, files),
    );
  });
}
