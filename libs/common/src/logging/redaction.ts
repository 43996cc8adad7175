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

// Every pattern is bounded (no unbounded quantifier can backtrack across a long run), so a scan
// is linear in the line: a log line is attacker-influenced text, and scrubbing runs on the event loop.
// Digit runs are anchored against neighbouring digits so epoch timestamps and durations stay intact.
const SCRUB_RULES: ScrubRule[] = [
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

// An email is found from its `@`, never by trying every start of a local part (which is quadratic
// on a long run of letters, digits, dots or dashes with no `@`): the domain is matched forward,
// the local part (at most 64 characters, RFC 5321) walked back.
const EMAIL_DOMAIN = /@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/g;
const EMAIL_LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const EMAIL_LOCAL_MAX = 64;

function scrubEmails(text: string): string {
  if (!text.includes('@')) return text;
  let out = '';
  let copiedUpTo = 0;
  for (const domain of text.matchAll(EMAIL_DOMAIN)) {
    const at = domain.index;
    let start = at;
    while (start > copiedUpTo && at - start < EMAIL_LOCAL_MAX && EMAIL_LOCAL_CHAR.test(text[start - 1]))
      start -= 1;
    if (start === at) continue;
    out += `${text.slice(copiedUpTo, start)}[REDACTED:email]`;
    copiedUpTo = at + domain[0].length;
  }
  return out + text.slice(copiedUpTo);
}

/** Replaces identifier-shaped substrings with a marker naming their kind; linear in the text. */
export function scrubText(text: string): string {
  // Emails first: an email's local part may be digits that would read as a phone or an SSN.
  let out = scrubEmails(text);
  for (const rule of SCRUB_RULES) out = out.replace(rule.pattern, `[REDACTED:${rule.kind}]`);
  return out;
}

/** How much of an unmatched path a log keeps: enough to recognise a probe, never a payload. */
export const LOGGED_PATH_MAX = 128;

/**
 * Keeps only the parts of a request a log may hold: never the query string, body or secret headers.
 * `path` is the route template when a route matched; the path itself (opaque ids at most) is kept
 * cut to LOGGED_PATH_MAX, so a hostile 15 KB URL never reaches the line or its scrubbing.
 */
export function serializeRequest(req: {
  id?: unknown;
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  /** pino-http hands the serializer a copy; the raw request carries the template the API set. */
  raw?: { routeTemplate?: string };
}) {
  const template = req.raw?.routeTemplate ?? req.routeOptions?.url;
  const target = (req.url ?? '').slice(0, LOGGED_PATH_MAX).split('?')[0];
  return {
    id: req.id,
    method: req.method?.slice(0, 16),
    path: template ?? target,
    ...(template && template !== target ? { target } : {}),
  };
}
