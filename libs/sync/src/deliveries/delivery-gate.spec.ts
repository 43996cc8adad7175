import type { DataCategory } from '@app/common';
import {
  consentAllows,
  deliveryGate,
  parkingOver,
  type DeliveryGateFacts,
  type DeliveryGateVerdict,
} from './delivery-gate';

const PARTNER = 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3A';
const OTHER_PARTNER = 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3B';
const ORG = 'org_01JD3Q4Z5X6C7V8B9N0M1K2J3A';

const deliverable: DeliveryGateFacts = {
  partnerId: PARTNER,
  organizationId: ORG,
  subscription: { active: true, partnerId: PARTNER },
  partner: { status: 'active', categories: ['identity', 'contact'], organizationIds: [ORG] },
  baa: { inEffect: true, categories: ['identity', 'contact', 'coverage'] },
};

describe('deliveryGate', () => {
  it.each<[string, Partial<DeliveryGateFacts>, DeliveryGateVerdict]>([
    [
      'sends the categories both the registration and the BAA allow',
      {},
      { verdict: 'send', permitted: ['identity', 'contact'] },
    ],
    [
      'parks while the BAA is not in effect',
      { baa: { inEffect: false, categories: [] } },
      { verdict: 'park', reason: 'baa_not_in_effect' },
    ],
    [
      'parks while the BAA permits none of the registered categories',
      { baa: { inEffect: true, categories: ['coverage'] } },
      { verdict: 'park', reason: 'no_permitted_categories' },
    ],
    [
      'parks while the partner is suspended (reinstatement is possible)',
      { partner: { ...deliverable.partner!, status: 'suspended' } },
      { verdict: 'park', reason: 'partner_suspended' },
    ],
    [
      'parks a suspended partner even when its BAA has lapsed too',
      { partner: { ...deliverable.partner!, status: 'suspended' }, baa: { inEffect: false, categories: [] } },
      { verdict: 'park', reason: 'partner_suspended' },
    ],
    [
      'drops a delivery to a disabled subscription',
      { subscription: { active: false, partnerId: PARTNER } },
      { verdict: 'skip', reason: 'subscription_inactive' },
    ],
    [
      'drops a delivery to a deleted subscription',
      { subscription: null },
      { verdict: 'skip', reason: 'subscription_inactive' },
    ],
    [
      "drops a delivery to a subscription now another partner's",
      { subscription: { active: true, partnerId: OTHER_PARTNER } },
      { verdict: 'skip', reason: 'subscription_inactive' },
    ],
    [
      'drops a delivery to a partner that no longer exists',
      { partner: null, baa: null },
      { verdict: 'skip', reason: 'partner_inactive' },
    ],
    [
      'drops (does not park) a change of an organization the partner no longer sees, whatever its BAA',
      { partner: { ...deliverable.partner!, organizationIds: [] }, baa: { inEffect: false, categories: [] } },
      { verdict: 'skip', reason: 'not_visible' },
    ],
  ])('%s', (_case, change, expected) => {
    expect(deliveryGate({ ...deliverable, ...change })).toEqual(expected);
  });
});

describe('consentAllows', () => {
  it.each<[string, boolean, DataCategory[], boolean]>([
    ['a partner without the consent rule, whatever the policy answers', false, [], true],
    ['a consent partner with an active consent for some categories', true, ['contact'], true],
    ['a consent partner once the consent is revoked (nothing visible)', true, [], false],
  ])('%s', (_case, requiresConsent, visible, expected) => {
    expect(consentAllows(requiresConsent, visible)).toBe(expected);
  });
});

describe('parkingOver', () => {
  const active = { status: 'active', categories: ['identity', 'contact'] as DataCategory[] };
  const renewed = { inEffect: true, categories: ['contact'] as DataCategory[] };
  it.each<[string, Parameters<typeof parkingOver>[0], Parameters<typeof parkingOver>[1], boolean]>([
    ['an active partner whose BAA is renewed', active, renewed, true],
    ['a partner whose BAA is still not in effect', active, { inEffect: false, categories: [] }, false],
    [
      'a BAA renewed without any of the partner categories',
      active,
      { inEffect: true, categories: ['coverage'] },
      false,
    ],
    ['a suspended partner, even with its BAA renewed', { ...active, status: 'suspended' }, renewed, false],
    [
      'a partner that no longer exists (its attempt drops the delivery)',
      null,
      { inEffect: false, categories: [] },
      true,
    ],
  ])('%s', (_case, partner, baa, expected) => {
    expect(parkingOver(partner, baa)).toBe(expected);
  });
});
