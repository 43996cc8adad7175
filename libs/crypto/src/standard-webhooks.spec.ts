import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook, verifyWebhook, webhookHeaders, type WebhookRefusal } from './standard-webhooks';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({
  type: 'member.updated',
  data: { memberId: 'mbr_01JCTESTMEMBER0000000000000' },
});

describe('Standard Webhooks', () => {
  describe('interoperates with the reference library', () => {
    it('signs a message the reference library verifies', () => {
      const key = secret();
      const headers = webhookHeaders(key, 'msg_ours', nowSeconds(), body);
      expect(new Webhook(key).verify(body, { ...headers })).toEqual(JSON.parse(body));
    });

    it('verifies a message the reference library signed', () => {
      const key = secret();
      const now = new Date();
      const signature = new Webhook(key).sign('msg_theirs', now, body);
      const sut = verifyWebhook(
        {
          'Webhook-Id': 'msg_theirs',
          'Webhook-Timestamp': String(Math.floor(now.getTime() / 1000)),
          'Webhook-Signature': signature,
        },
        Buffer.from(body),
        [key],
        { nowSeconds: nowSeconds() },
      );
      expect(sut).toMatchObject({ ok: true, id: 'msg_theirs', secretIndex: 0 });
    });

    it('produces the same signature as the reference library', () => {
      const key = secret();
      const at = new Date('2026-11-30T10:00:00Z');
      expect(signWebhook(key, 'msg_same', at.getTime() / 1000, body)).toBe(
        new Webhook(key).sign('msg_same', at, body),
      );
    });

    it('refuses what the reference library also refuses: a changed body', () => {
      const key = secret();
      const headers = webhookHeaders(key, 'msg_tampered', nowSeconds(), body);
      const changed = body.replace('member.updated', 'member.deleted');
      expect(() => new Webhook(key).verify(changed, { ...headers })).toThrow();
      expect(verifyWebhook({ ...headers }, changed, [key], { nowSeconds: nowSeconds() })).toEqual({
        ok: false,
        reason: 'no_matching_signature',
      });
    });
  });

  describe('refuses', () => {
    const key = secret();
    const now = 1_800_000_000;
    const signed = (timestamp: number, sigKey = key) => ({
      ...webhookHeaders(sigKey, 'msg_1', timestamp, body),
    });
    it.each<[string, Record<string, string>, string, WebhookRefusal]>([
      ['a tampered body', signed(now), `${body} `, 'no_matching_signature'],
      ['a wrong secret', signed(now, secret()), body, 'no_matching_signature'],
      ['a timestamp older than five minutes', signed(now - 301), body, 'timestamp_too_old'],
      ['a timestamp more than five minutes ahead', signed(now + 301), body, 'timestamp_too_new'],
      ['a changed id', { ...signed(now), 'webhook-id': 'msg_2' }, body, 'no_matching_signature'],
      [
        'a missing signature',
        { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now) },
        body,
        'missing_headers',
      ],
      [
        'a timestamp that is not a number',
        { ...signed(now), 'webhook-timestamp': '1800000000abc' },
        body,
        'invalid_timestamp',
      ],
      [
        'a signature of another version',
        { ...signed(now), 'webhook-signature': signed(now)['webhook-signature'].replace('v1,', 'v2,') },
        body,
        'no_matching_signature',
      ],
      [
        'a signature with characters added',
        { ...signed(now), 'webhook-signature': `${signed(now)['webhook-signature']}!` },
        body,
        'no_matching_signature',
      ],
    ])('%s', (_name, headers, received, reason) => {
      expect(verifyWebhook(headers, received, [key], { nowSeconds: now })).toEqual({ ok: false, reason });
    });
  });

  describe('accepts', () => {
    const key = secret();
    const now = 1_800_000_000;

    it.each([
      ['five minutes old', now - 300],
      ['five minutes ahead', now + 300],
    ])('a timestamp exactly %s', (_name, timestamp) => {
      const headers = webhookHeaders(key, 'msg_edge', timestamp, body);
      expect(verifyWebhook({ ...headers }, body, [key], { nowSeconds: now })).toMatchObject({ ok: true });
    });

    it('one matching signature among several space-separated ones', () => {
      const good = signWebhook(key, 'msg_many', now, body);
      const other = signWebhook(secret(), 'msg_many', now, body);
      const headers = {
        'webhook-id': 'msg_many',
        'webhook-timestamp': String(now),
        'webhook-signature': `${other} v2,xyz ${good}`,
      };
      expect(verifyWebhook(headers, body, [key], { nowSeconds: now })).toMatchObject({ ok: true });
    });

    it('the newer of two secrets during a rotation, and says which one matched', () => {
      const next = secret();
      const headers = webhookHeaders(next, 'msg_rotated', now, body);
      expect(verifyWebhook({ ...headers }, body, [key, next], { nowSeconds: now })).toEqual({
        ok: true,
        id: 'msg_rotated',
        timestamp: now,
        secretIndex: 1,
      });
    });
  });
});
