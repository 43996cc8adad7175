/**
 * The log redaction layer. Two nets: structured paths (secrets in headers) are censored by pino's
 * `redact`, and every finished log line is scrubbed for text that looks like an identifier a log
 * must never hold (SSN, date of birth, email, phone). Bodies are never logged at all.
 */

export const REDACTED = '[REDACTED]';

/** Request/response headers whose values are credentials or correlation secrets. */
export const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'webhook-signature',
  'webhook-id',
  'idempotency-key',
] as const;

export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `res.headers["${h}"]`, `headers["${h}"]`]),
  'req.body',
  'res.body',
  'body',
  'password',
  '*.password',
  'clientSecret',
  '*.clientSecret',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'totp',
  '*.totp',
];

interface ScrubRule {
  kind: string;
  pattern: RegExp;
}

// Order matters: emails before phones (an email's local part may be digits). Digit runs are
// anchored against neighbouring digits so epoch timestamps and durations are left intact.
const SCRUB_RULES: ScrubRule[] = [
  { kind: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  { kind: 'ssn', pattern: /(?<![\d-])\d{3}[- ]\d{2}[- ]\d{4}(?![\d-])|(?<![\w-])\d{9}(?![\w-])/g },
  {
    kind: 'date',
    pattern:
      /(?<!\d)(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)|(?<!\d)(?:0?[1-9]|1[0-2])\/(?:0?[1-9]|[12]\d|3[01])\/(?:19|20)\d{2}(?!\d)/g,
  },
  {
    kind: 'phone',
    pattern: /(?<![\w-])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?![\w-])/g,
  },
];

/** Replaces identifier-shaped substrings with a marker naming their kind. */
export function scrubText(text: string): string {
  let out = text;
  for (const rule of SCRUB_RULES) out = out.replace(rule.pattern, `[REDACTED:${rule.kind}]`);
  return out;
}

/** Keeps only the parts of a request a log may hold: never the query string, body or secret headers. */
export function serializeRequest(req: {
  id?: unknown;
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
}) {
  return {
    id: req.id,
    method: req.method,
    // The route template when known, otherwise the path without its query string.
    path: req.routeOptions?.url ?? (req.url ?? '').split('?')[0],
  };
}
