import { verifyWebhook } from '../../libs/crypto/src/standard-webhooks';
import { SyntheticMemberGenerator } from '../../libs/members/src/synthetic/synthetic-member.generator';
import { batchSlice, nthUpdate, signedHeaders, updateChanges } from './update-bodies';

const SECRET = `whsec_${Buffer.from('bench-sync-update-bodies-secret!').toString('base64')}`;

describe('the sync bench update bodies', () => {
  it('takes only contact.phone and the coverage plan from generated members', () => {
    const [changes] = updateChanges(new SyntheticMemberGenerator(7).members(0, 1));
    const member = new SyntheticMemberGenerator(7).member(0);
    expect(changes).toEqual({
      contact: { phone: member.contact.phone },
      coverage: { planCode: member.coverage.planCode, coverageTier: member.coverage.coverageTier },
    });
  });

  it('addresses members round-robin with a fresh event id each time', () => {
    const ids = ['a', 'b', 'c'];
    const changes = updateChanges(new SyntheticMemberGenerator(7).members(0, 2));
    const at = new Date('2026-11-30T12:00:00.000Z');
    const updates = [0, 1, 2, 3].map((n) => nthUpdate(n, ids, changes, at));
    expect(updates.map((u) => u.memberId)).toEqual(['a', 'b', 'c', 'a']);
    expect(new Set(updates.map((u) => u.body.eventId)).size).toBe(4);
    expect(updates[0].body).toMatchObject({ occurredAt: '2026-11-30T12:00:00.000Z', changes: changes[1] });
  });

  it('signs the exact text so that the service verifies it, and not a changed text', () => {
    const text = JSON.stringify({ eventId: 'evt-1', occurredAt: '2026-11-30T12:00:00.000Z', changes: {} });
    const now = Date.UTC(2026, 10, 30, 12);
    const headers = signedHeaders(SECRET, text, now);
    expect(verifyWebhook(headers, text, [SECRET], { nowSeconds: now / 1000 }).ok).toBe(true);
    expect(verifyWebhook(headers, `${text} `, [SECRET], { nowSeconds: now / 1000 }).ok).toBe(false);
    expect(signedHeaders(SECRET, text, now)['webhook-id']).not.toBe(headers['webhook-id']);
  });

  it('slices batches so that neighbouring batches never share a member, wrapping around', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    expect(batchSlice(0, ids, 4)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(batchSlice(1, ids, 4)).toEqual(['m4', 'm5', 'm6', 'm7']);
    expect(batchSlice(2, ids, 4)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(batchSlice(5, ids, 20)).toEqual(ids);
  });
});
