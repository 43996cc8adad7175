import { createHmac, timingSafeEqual } from 'node:crypto';

/** The Standard Webhooks tolerance: a timestamp more than five minutes off either way is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** At most this many signatures of one header are tried, so a long header cannot cost much CPU. */
const MAX_SIGNATURES = 10;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export type WebhookRefusal =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature';

export type WebhookVerification =
  | {
      ok: true;
      id: string;
      timestamp: number;
      /** Which of the given secrets matched (rotation overlap). */ secretIndex: number;
    }
  | { ok: false; reason: WebhookRefusal };

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional, as in the reference library). */
export function webhookKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a webhook secret must not be empty');
  return key;
}

/**
 * The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256 over
 * `{id}.{timestamp}.{body}`, with node:crypto (several times faster than the reference library).
 */
export function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  return `v1,${digest(webhookKey(secret), id, String(timestampSeconds), body)}`;
}

/** The three headers that carry a signed message. */
export function webhookHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string | Buffer,
): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}

/**
 * Verifies a received message against any of `secrets` (several during a rotation): the headers
 * are read case-insensitively, the timestamp must lie within the tolerance of `nowSeconds`, and
 * any one of the space-separated `v1,` signatures must match, compared in constant time. The
 * body must be the raw bytes received, before any parsing.
 */
export function verifyWebhook(
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  secrets: readonly string[],
  options: { nowSeconds: number; toleranceSeconds?: number },
): WebhookVerification {
  const id = header(headers, 'webhook-id');
  const timestampHeader = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestampHeader || !signatures) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(timestampHeader)) return { ok: false, reason: 'invalid_timestamp' };
  const timestamp = Number(timestampHeader);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (options.nowSeconds - timestamp > tolerance) return { ok: false, reason: 'timestamp_too_old' };
  if (timestamp - options.nowSeconds > tolerance) return { ok: false, reason: 'timestamp_too_new' };

  const offered = signatures
    .split(' ')
    .slice(0, MAX_SIGNATURES)
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice('v1,'.length), 'utf8'));
  for (const [secretIndex, secret] of secrets.entries()) {
    const expected = Buffer.from(digest(webhookKey(secret), id, timestampHeader, body), 'utf8');
    // Compared as base64 text, not decoded bytes: Node's lenient base64 decoder would accept variants.
    if (offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected)))
      return { ok: true, id, timestamp, secretIndex };
  }
  return { ok: false, reason: 'no_matching_signature' };
}

function digest(key: Buffer, id: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
