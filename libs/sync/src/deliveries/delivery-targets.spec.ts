import { deliveryTargets, type CandidateSubscription } from './delivery-targets';

describe('delivery targets', () => {
  const change = { organizationId: 'org_A', sender: 'prt_sender' };
  const sub = (over: Partial<CandidateSubscription>): CandidateSubscription => ({
    subscriptionId: 'wsb_1',
    partnerId: 'prt_1',
    partnerStatus: 'active',
    partnerOrganizationIds: ['org_A'],
    ...over,
  });

  it.each<[string, Partial<CandidateSubscription>, boolean]>([
    ['a partner of the member organization', {}, true],
    ['a partner of several organizations including it', { partnerOrganizationIds: ['org_B', 'org_A'] }, true],
    ['a partner of another organization only', { partnerOrganizationIds: ['org_B'] }, false],
    ['a partner with no organization', { partnerOrganizationIds: [] }, false],
    ['the sender of the change (no echo)', { partnerId: 'prt_sender' }, false],
    ['a suspended partner (its attempt parks the delivery)', { partnerStatus: 'suspended' }, true],
    ['a partner that no longer exists', { partnerStatus: null }, false],
  ])('delivers to %s: %p', (_case, over, expected) => {
    const sut = deliveryTargets(change, [sub(over)]);
    expect(sut.length === 1).toBe(expected);
  });

  it('keeps every matching subscription of one partner, in order', () => {
    const sut = deliveryTargets(change, [sub({ subscriptionId: 'wsb_1' }), sub({ subscriptionId: 'wsb_2' })]);
    expect(sut.map((s) => s.subscriptionId)).toEqual(['wsb_1', 'wsb_2']);
  });
});
