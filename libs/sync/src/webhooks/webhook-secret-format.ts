import { randomBytes } from 'node:crypto';
import { randomBase32 } from '@app/common';

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes; ours are 32 random bytes. */
const PREFIX = 'whsec_';
const KEY_BYTES = 32;

/** Opaque id of a secret (`whs_` + 26 Crockford base32), safe in URLs and audit events. */
export const WEBHOOK_SECRET_ID = /^whs_[0-9A-HJKMNP-TV-Z]{26}$/;

export function newWebhookSecretId(): string {
  return `whs_${randomBase32()}`;
}

/** Fresh key bytes; `secretText` turns them into what the sender is shown once. */
export function newWebhookKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function secretText(key: Buffer): string {
  return `${PREFIX}${key.toString('base64')}`;
}

/** The wrap context (AAD): a wrapped secret moved to another row or partner no longer unwraps. */
export function wrapContext(partnerId: string, secretId: string): string {
  return `webhook-secret:${partnerId}:${secretId}`;
}
