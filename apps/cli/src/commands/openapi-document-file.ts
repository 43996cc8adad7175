import { isDeepStrictEqual } from 'node:util';

/**
 * The origin the committed document names wherever the service puts its own public URL (the OAuth
 * token endpoint): the development default, so the file is the same on every machine.
 */
export const DOCUMENTED_ORIGIN = 'https://localhost:8443';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The served document made machine-independent and stable: the OAuth flow URLs point at
 * DOCUMENTED_ORIGIN, and every object's keys are sorted (arrays keep their order, which carries
 * meaning: parameters, enums, `required`). The input is not changed.
 */
export function normalizeOpenApiDocument(document: unknown): Json {
  const copy = sortKeys(JSON.parse(JSON.stringify(document)) as Json);
  const schemes = (copy as { components?: { securitySchemes?: Record<string, { flows?: object }> } })
    .components?.securitySchemes;
  for (const scheme of Object.values(schemes ?? {})) {
    for (const flow of Object.values(scheme.flows ?? {}) as Array<Record<string, unknown>>) {
      for (const key of ['tokenUrl', 'authorizationUrl', 'refreshUrl']) {
        const url = flow[key];
        if (typeof url === 'string') flow[key] = rebase(url);
      }
    }
  }
  return copy;
}

/** The committed file's text: 2-space JSON and a final newline. */
export function serializeOpenApiDocument(document: Json): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Where two documents differ, as JSON pointers (at most `limit`), for a failure message a person can
 * act on; empty when they are equal.
 */
export function documentDifferences(expected: unknown, actual: unknown, limit = 20): string[] {
  const found: string[] = [];
  const walk = (a: unknown, b: unknown, pointer: string) => {
    if (found.length >= limit || isDeepStrictEqual(a, b)) return;
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        const next = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (!(key in a)) found.push(`${next} (added)`);
        else if (!(key in b)) found.push(`${next} (removed)`);
        else walk(a[key], b[key], next);
        if (found.length >= limit) return;
      }
      return;
    }
    found.push(pointer || '/');
  };
  walk(expected, actual, '');
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

function rebase(url: string): string {
  const parsed = new URL(url);
  return `${DOCUMENTED_ORIGIN}${parsed.pathname}${parsed.search}`;
}

/**
 * The drift check's verdict: undefined when the committed document is the served one (both
 * normalized), else a message naming where they differ and what to run.
 */
export function documentDriftReport(committed: unknown, served: unknown): string | undefined {
  const differences = documentDifferences(
    normalizeOpenApiDocument(committed),
    normalizeOpenApiDocument(served),
  );
  if (differences.length === 0) return undefined;
  return [
    'libs/sdk/openapi.json is not the document the service serves: run `npm run sdk:generate` and commit',
    'libs/sdk/openapi.json and libs/sdk/src/schema.ts. Differences (JSON pointers, committed -> served):',
    ...differences.map((pointer) => `  ${pointer}`),
  ].join('\n');
}
