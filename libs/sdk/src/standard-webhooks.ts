import { createHmac, randomUUID } from 'node:crypto';

/** The three Standard Webhooks headers the signed routes (member create, update, batch) require. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A JSON body, the exact text that is signed and sent, and its signature headers. */
export interface SignedBody<T> {
  body: T;
  /** Sends exactly the signed text (openapi-fetch would otherwise serialize the body again). */
  bodySerializer: () => string;
  header: WebhookSignatureHeaders;
}

/**
 * Signs `body` per Standard Webhooks with the partner's inbound secret (`whsec_` + base64 key):
 * `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body text}`. The server accepts a timestamp
 * within five minutes of its clock; the id doubles as the idempotency key unless one is sent.
 */
export function signWebhookBody<T>(
  secret: string,
  body: T,
  options: { id?: string; timestampSeconds?: number } = {},
): SignedBody<T> {
  const text = JSON.stringify(body);
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = String(options.timestampSeconds ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a webhook secret must not be empty');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${text}`).digest('base64');
  return {
    body,
    bodySerializer: () => text,
    header: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` },
  };
}
