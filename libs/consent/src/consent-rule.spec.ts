import type { DataCategory } from '@app/common';
import {
  consentedCategories,
  consentInEffect,
  consentRefusal,
  consentStatus,
  type ConsentCreation,
  type ConsentTerms,
} from './consent-rule';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const hours = (n: number) => new Date(NOW.getTime() + n * 3_600_000);
const terms = (overrides: Partial<ConsentTerms> = {}): ConsentTerms => ({
  purpose: 'marketing',
  categories: ['contact'],
  validFrom: hours(-24),
  validUntil: null,
  status: 'active',
  ...overrides,
});

describe('consentStatus', () => {
  it.each<[string, Partial<ConsentTerms>, string]>([
    ['open-ended and active', {}, 'active'],
    ['active until later', { validUntil: hours(1) }, 'active'],
    ['expired exactly at validUntil', { validUntil: NOW }, 'expired'],
    ['expired before now', { validUntil: hours(-1) }, 'expired'],
    ['revoked wins over expired', { status: 'revoked', validUntil: hours(-1) }, 'revoked'],
    ['revoked while in its period', { status: 'revoked' }, 'revoked'],
  ])('%s', (_name, overrides, expected) => {
    const sut = consentStatus;
    expect(sut(terms(overrides), NOW)).toBe(expected);
  });
});

describe('consentInEffect', () => {
  it.each<[string, Partial<ConsentTerms>, string, boolean]>([
    ['active, same purpose, in its period', {}, 'marketing', true],
    ['starts exactly now', { validFrom: NOW }, 'marketing', true],
    ['starts in the future', { validFrom: hours(1) }, 'marketing', false],
    ['ends in the future', { validUntil: hours(1) }, 'marketing', true],
    ['ended exactly now', { validUntil: NOW }, 'marketing', false],
    ['revoked', { status: 'revoked' }, 'marketing', false],
    ['another purpose', {}, 'operations', false],
  ])('%s', (_name, overrides, purpose, expected) => {
    const sut = consentInEffect;
    expect(sut(terms(overrides), purpose, NOW)).toBe(expected);
  });
});

describe('consentedCategories', () => {
  const row = (memberId: string, overrides: Partial<ConsentTerms>) => ({ memberId, ...terms(overrides) });

  it.each<[string, ReturnType<typeof row>[], Record<string, DataCategory[]>]>([
    ['no consents: nobody', [], {}],
    ['one consent', [row('mbr_A', { categories: ['contact'] })], { mbr_A: ['contact'] }],
    [
      'the union of a member’s consents in effect, in catalog order, each once',
      [
        row('mbr_A', { categories: ['preferences', 'contact'] }),
        row('mbr_A', { categories: ['identity', 'contact'] }),
      ],
      { mbr_A: ['identity', 'contact', 'preferences'] },
    ],
    [
      'consents not in effect add nothing',
      [
        row('mbr_A', { categories: ['contact'] }),
        row('mbr_A', { categories: ['identity'], status: 'revoked' }),
        row('mbr_A', { categories: ['coverage'], validUntil: hours(-1) }),
        row('mbr_A', { categories: ['wellness'], validFrom: hours(2) }),
        row('mbr_A', { categories: ['membership'], purpose: 'operations' }),
      ],
      { mbr_A: ['contact'] },
    ],
    [
      'a member whose only consent is revoked is absent',
      [row('mbr_A', { categories: ['contact'] }), row('mbr_B', { status: 'revoked' })],
      { mbr_A: ['contact'] },
    ],
    [
      'per member, never mixed',
      [row('mbr_A', { categories: ['contact'] }), row('mbr_B', { categories: ['identity'] })],
      { mbr_A: ['contact'], mbr_B: ['identity'] },
    ],
  ])('%s', (_name, rows, expected) => {
    const sut = consentedCategories;
    expect(Object.fromEntries(sut(rows, 'marketing', NOW))).toEqual(expected);
  });
});

describe('consentRefusal', () => {
  const creation = (overrides: Partial<ConsentCreation> = {}): ConsentCreation => ({
    purpose: 'marketing',
    categories: ['contact'],
    validFrom: NOW,
    validUntil: hours(24),
    memberOrganizationId: 'org_A',
    partner: { purpose: 'marketing', categories: ['identity', 'contact'], organizationIds: ['org_A'] },
    ...overrides,
  });

  it.each<[string, Partial<ConsentCreation>, RegExp | null]>([
    ['a consent that can take effect', {}, null],
    ['open-ended', { validUntil: null }, null],
    ['member in an organization the partner cannot see', { memberOrganizationId: 'org_B' }, /not linked/],
    ['another purpose than the partner’s', { purpose: 'operations' }, /purpose/],
    [
      'a category outside the partner’s registration',
      { categories: ['contact', 'government_id'] },
      /government_id/,
    ],
    ['a period that ends before it starts', { validUntil: hours(-1) }, /validUntil/],
    ['a period of no length', { validUntil: NOW }, /validUntil/],
  ])('%s', (_name, overrides, expected) => {
    const sut = consentRefusal;
    const refusal = sut(creation(overrides));
    if (expected) expect(refusal).toMatch(expected);
    else expect(refusal).toBeNull();
  });
});
