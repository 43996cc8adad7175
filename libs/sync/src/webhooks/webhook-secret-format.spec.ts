import { webhookKey } from '@app/crypto';
import {
  newWebhookKey,
  newWebhookSecretId,
  secretText,
  WEBHOOK_SECRET_ID,
  wrapContext,
} from './webhook-secret-format';

describe('webhook secret format', () => {
  it('shows a secret in the Standard Webhooks format whose key is the 32 random bytes', () => {
    const key = newWebhookKey();
    const sut = secretText(key);
    expect(sut).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhookKey(sut).equals(key)).toBe(true);
  });

  it('never repeats a key', () => {
    expect(newWebhookKey().equals(newWebhookKey())).toBe(false);
  });

  it('makes opaque ids of the documented shape', () => {
    const sut = newWebhookSecretId();
    expect(sut).toMatch(WEBHOOK_SECRET_ID);
    expect(newWebhookSecretId()).not.toBe(sut);
  });

  it('binds the wrap context to partner and secret', () => {
    expect(wrapContext('prt_A', 'whs_1')).not.toBe(wrapContext('prt_B', 'whs_1'));
    expect(wrapContext('prt_A', 'whs_1')).not.toBe(wrapContext('prt_A', 'whs_2'));
  });
});
