import { randomBytes } from 'node:crypto';
import { randomBase32 } from '@app/common';

/** Opaque ids, safe in URLs and audit events: `sub_` for a subscription, `sbs_` for one of its secrets. */
export const SUBSCRIPTION_ID = /^sub_[0-9A-HJKMNP-TV-Z]{26}$/;

export function newSubscriptionId(): string {
  return `sub_${randomBase32()}`;
}

export function newSubscriptionSecretId(): string {
  return `sbs_${randomBase32()}`;
}

/** 32 random bytes, shown once as a Standard Webhooks secret (`whsec_` + base64). */
export function newSigningKey(): Buffer {
  return randomBytes(32);
}

export function signingSecretText(key: Buffer): string {
  return `whsec_${key.toString('base64')}`;
}

/** The wrap context (AAD): a wrapped secret copied to another row, subscription or partner no longer unwraps. */
export function subscriptionSecretContext(
  partnerId: string,
  subscriptionId: string,
  secretId: string,
): string {
  return `webhook-subscription-secret:${partnerId}:${subscriptionId}:${secretId}`;
}
