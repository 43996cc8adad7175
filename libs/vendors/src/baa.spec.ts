import { baaPermittedCategories, isBaaInEffect, type BaaTerms } from './baa';

const signed: BaaTerms = {
  status: 'signed',
  effectiveFrom: '2026-01-01',
  expiresAt: '2027-01-01',
  permittedCategories: ['identity', 'coverage'],
};

describe('BAA in effect', () => {
  it.each([
    ['signed, inside its term', signed, '2026-11-23', true],
    ['on its first day', signed, '2026-01-01', true],
    ['before it takes effect', signed, '2025-12-31', false],
    ['on its expiry date', signed, '2027-01-01', false],
    ['after expiry', signed, '2027-06-01', false],
    ['signed without an end date', { ...signed, expiresAt: null }, '2030-01-01', true],
    ['a draft', { ...signed, status: 'draft' }, '2026-11-23', false],
    ['terminated', { ...signed, status: 'terminated' }, '2026-11-23', false],
    ['marked expired', { ...signed, status: 'expired' }, '2026-11-23', false],
    ['signed with no effective date', { ...signed, effectiveFrom: null }, '2026-11-23', false],
  ] as const)('%s → %s', (_name, baa, today, expected) => {
    expect(isBaaInEffect(baa as BaaTerms, today)).toBe(expected);
  });

  it('permits no category without a BAA in effect', () => {
    expect(baaPermittedCategories(signed, '2026-11-23')).toEqual(['identity', 'coverage']);
    expect(baaPermittedCategories(signed, '2027-02-01')).toEqual([]);
  });
});
