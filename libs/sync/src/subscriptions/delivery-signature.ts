import { signWebhook } from '@app/crypto';

/**
 * The Standard Webhooks headers of one delivery attempt, signed over exactly `body` (the bytes
 * that will be sent) with every active secret of the subscription, space-separated, so a receiver
 * that still holds the old secret during a rotation overlap verifies as well as one with the new.
 */
export function signedDeliveryHeaders(
  secrets: readonly string[],
  webhookId: string,
  timestampSeconds: number,
  body: Buffer,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  if (secrets.length === 0) throw new Error('a delivery needs at least one active secret');
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => signWebhook(s, webhookId, timestampSeconds, body)).join(' '),
  };
}
