import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN_ROLE_SCOPES,
  ADMIN_ROLES,
  ADMIN_SCOPES,
  INTEGRATION_TYPE_SCOPES,
  PARTNER_SCOPES,
  PARTNER_TYPES,
  PROBLEM_TYPES,
} from '@app/common';
import {
  checkDocuments,
  checkReference,
  listRepositoryFiles,
  parseReferences,
} from './support/docs-references';

// The compliance and security documents cite code and tests; these checks keep the citations true
// (a renamed test or file fails here) and keep the API guide's role tables equal to the one table in code.
const ROOT = join(__dirname, '..');
const CHECKED_DOCS = ['docs/hipaa-controls.md', 'docs/threat-model.md'];

/** Rows of the markdown table whose header row starts with the given cells: first cell -> other cells. */
function tableRows(markdown: string, header: string[]): Map<string, string[]> {
  const lines = markdown.split('\n');
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  const start = lines.findIndex((line) => {
    const row = cells(line);
    return line.trim().startsWith('|') && header.every((cell, i) => row[i] === cell);
  });
  if (start < 0) throw new Error(`no table with header ${header.join(' | ')}`);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    const [first, ...rest] = cells(line);
    rows.set(first.replace(/`/g, ''), rest);
  }
  return rows;
}

describe('docs: references and role tables', () => {
  const files = listRepositoryFiles(ROOT);

  it.each(CHECKED_DOCS)('%s cites only files that exist and tests that exist in them', (doc) => {
    expect(checkDocuments(ROOT, [doc])).toEqual([]);
  });

  it('the HIPAA matrix has a row for each §164.312 standard, each backed by a cited test', () => {
    const markdown = readFileSync(join(ROOT, 'docs/hipaa-controls.md'), 'utf8');
    const standards = [
      '(a)(1)',
      '(a)(2)(i)',
      '(a)(2)(ii)',
      '(a)(2)(iii)',
      '(a)(2)(iv)',
      '(b)',
      '(c)(1)',
      '(c)(2)',
      '(d)',
      '(e)(1)',
      '(e)(2)(i)',
      '(e)(2)(ii)',
    ];
    const summary = tableRows(markdown, ['§', 'standard']);
    expect([...summary.keys()]).toEqual(standards);
    const sections = markdown.split(/\n## /).slice(1);
    for (const standard of standards) {
      const section = sections.find((text) => text.startsWith(`${standard} `));
      expect(section).toBeDefined();
      const cited = parseReferences(section!, standard).filter((ref) => ref.testNames.length > 0);
      expect({ standard, tests: cited.length > 0 }).toEqual({ standard, tests: true });
    }
  });

  it('the threat model covers all six STRIDE kinds at every trust boundary (or holds the placeholder it awaits)', () => {
    const markdown = readFileSync(join(ROOT, 'docs/threat-model.md'), 'utf8');
    const sections = markdown.split(/\n(?=## \d+\. )/).slice(1);
    const coverage = sections.map((section) => {
      const heading = section.split('\n')[0];
      const kinds = new Set(
        section
          .split('\n')
          .map((line) => /^\|\s*([STRIDE](?:\/[STRIDE])*)\s*\|/.exec(line)?.[1])
          .filter((letters): letters is string => Boolean(letters))
          .flatMap((letters) => letters.split('/')),
      );
      const complete = [...'STRIDE'].every((kind) => kinds.has(kind));
      const awaiting = /<!-- issue-12: [a-z-]+/.test(section);
      return { heading, ok: complete || awaiting };
    });
    expect(coverage.length).toBeGreaterThanOrEqual(13);
    expect(coverage.filter((section) => !section.ok)).toEqual([]);
  });

  it('errors.md lists exactly the problem types of the registry, each with its status', () => {
    const markdown = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const rows = tableRows(markdown, ['type', 'status']);
    const documented = Object.fromEntries([...rows].map(([type, [status]]) => [type, Number(status)]));
    const registry = Object.fromEntries(
      Object.entries(PROBLEM_TYPES).map(([type, { status }]) => [type, status]),
    );
    expect(documented).toEqual(registry);
  });

  it('catches a missing file, a renamed test and an ambiguous bare name', () => {
    const doc = [
      '| row | `libs/common/src/auth/scopes.ts` | `libs/common/src/no-such-file.ts` |',
      '| row | `test/identity.e2e-spec.ts` › "refuses alg: none"; "refuses alg: nothing at all" |',
      '| row | `index.ts` › "anything" |',
      '| row | `test/identity.e2e-spec.ts` › "refuses an HS256…" |',
    ].join('\n');
    const refs = parseReferences(doc, 'bogus.md');
    expect(refs.map((ref) => [ref.line, ref.path, ref.testNames])).toEqual([
      [1, 'libs/common/src/auth/scopes.ts', []],
      [1, 'libs/common/src/no-such-file.ts', []],
      [2, 'test/identity.e2e-spec.ts', ['refuses alg: none', 'refuses alg: nothing at all']],
      [3, 'index.ts', ['anything']],
      [4, 'test/identity.e2e-spec.ts', ['refuses an HS256…']],
    ]);
    const problems = refs.flatMap((ref) => checkReference(ref, ROOT, files));
    expect(problems).toEqual([
      'bogus.md:1: libs/common/src/no-such-file.ts: no such file',
      'bogus.md:2: no test "refuses alg: nothing at all" in test/identity.e2e-spec.ts',
      expect.stringMatching(/^bogus\.md:3: index\.ts: names \d+ files; give the directory$/),
    ]);
  });

  it('ignores code blocks and URL paths, and reads test names only right after the arrow', () => {
    const doc = [
      '```sh',
      'cat `libs/none/x.ts`',
      '```',
      'GET `/api/v1/members` and `test/identity.e2e-spec.ts` (see "not a test name")',
    ].join('\n');
    expect(parseReferences(doc, 'd.md')).toEqual([
      { doc: 'd.md', line: 4, path: 'test/identity.e2e-spec.ts', testNames: [] },
    ]);
  });

  it("the API guide's role table says exactly what the scopes table grants", () => {
    const guide = readFileSync(join(ROOT, 'docs/api-guide.md'), 'utf8');
    const rows = tableRows(guide, ['admin scope', ...ADMIN_ROLES]);
    expect([...rows.keys()].sort()).toEqual([...ADMIN_SCOPES].sort());
    for (const scope of ADMIN_SCOPES) {
      const documented = ADMIN_ROLES.filter((_, i) => rows.get(scope)![i] === '✓');
      const granted = ADMIN_ROLES.filter((role) => ADMIN_ROLE_SCOPES[role].includes(scope));
      expect({ scope, roles: documented }).toEqual({ scope, roles: granted });
    }
  });

  it("the API guide's role table names every admin route of the OpenAPI document under each scope that route accepts", () => {
    const guide = readFileSync(join(ROOT, 'docs/api-guide.md'), 'utf8');
    const routesCell = new Map(
      [...tableRows(guide, ['admin scope', ...ADMIN_ROLES])].map(([scope, cells]) => [scope, cells.at(-1)!]),
    );
    const document = JSON.parse(readFileSync(join(ROOT, 'libs/sdk/openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { 'x-required-scopes'?: string[] }>>;
    };
    const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');
    // `GET …/partners/{partnerId}` names the route by its tail: a mention matches every path ending in it.
    const mentions = (cell: string) =>
      [...cell.matchAll(/`([^`]+)`/g)].map((match) =>
        shape(
          match[1]
            .replace(/^[A-Z]+(?:\/[A-Z]+)*\s+/, '')
            .split('?')[0]
            .replace(/^…/, ''),
        ),
      );
    const unnamed: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/api/v1/admin/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        for (const scope of operation['x-required-scopes'] ?? []) {
          const cell = routesCell.get(scope) ?? '';
          if (!mentions(cell).some((mention) => mention.startsWith('/') && shape(path).endsWith(mention)))
            unnamed.push(`${scope}: ${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(unnamed).toEqual([]);
  });

  it("the API guide's integration-type table says exactly which partner scopes each type may hold", () => {
    const guide = readFileSync(join(ROOT, 'docs/api-guide.md'), 'utf8');
    const rows = tableRows(guide, ['scope', ...PARTNER_TYPES]);
    expect([...rows.keys()].sort()).toEqual([...PARTNER_SCOPES].sort());
    for (const scope of PARTNER_SCOPES) {
      const documented = PARTNER_TYPES.filter((_, i) => rows.get(scope)![i] === '✓');
      const allowed = PARTNER_TYPES.filter((type) => INTEGRATION_TYPE_SCOPES[type].includes(scope));
      expect({ scope, types: documented }).toEqual({ scope, types: allowed });
    }
  });
});
