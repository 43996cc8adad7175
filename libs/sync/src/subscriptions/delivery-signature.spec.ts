import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signedDeliveryHeaders } from './delivery-signature';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('signedDeliveryHeaders', () => {
  const body = Buffer.from(
    JSON.stringify({ type: 'member.updated', memberId: 'mbr_01JD3Q4Z5X6C7V8B9N0M1K2J3H', version: 4 }),
  );
  const now = Math.floor(Date.now() / 1000);

  it('is verified by the standardwebhooks reference library over the same bytes', () => {
    const current = secret();
    const headers = signedDeliveryHeaders([current], 'dlv_1', now, body);
    expect(() => new Webhook(current).verify(body.toString('utf8'), headers)).not.toThrow();
  });

  it('carries one signature per active secret, so either side of a rotation overlap verifies', () => {
    const [next, previous] = [secret(), secret()];
    const headers = signedDeliveryHeaders([next, previous], 'dlv_2', now, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const held of [next, previous])
      expect(() => new Webhook(held).verify(body.toString('utf8'), headers)).not.toThrow();
  });

  it('does not verify under a secret that is not active, nor over other bytes', () => {
    const current = secret();
    const headers = signedDeliveryHeaders([current], 'dlv_3', now, body);
    expect(() => new Webhook(secret()).verify(body.toString('utf8'), headers)).toThrow();
    expect(() => new Webhook(current).verify(`${body.toString('utf8')} `, headers)).toThrow();
  });

  it('refuses to sign with no secret at all', () => {
    expect(() => signedDeliveryHeaders([], 'dlv_4', now, body)).toThrow();
  });
});
