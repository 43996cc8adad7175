import { effectiveBaaStatus, planBaaChange, type BaaVersionTerms } from './baa-lifecycle';

const TODAY = '2026-12-01';
const signed: BaaVersionTerms = {
  status: 'signed',
  signedAt: '2026-01-02',
  effectiveFrom: '2026-01-02',
  expiresAt: '2027-01-02',
  documentSha256: 'a'.repeat(64),
  permittedCategories: ['identity', 'coverage'],
};
const draft: BaaVersionTerms = { status: 'draft', permittedCategories: ['identity'] };
const lapsed: BaaVersionTerms = { ...signed, expiresAt: '2026-11-30' };
const markedExpired: BaaVersionTerms = { ...signed, status: 'expired', expiresAt: '2026-11-30' };
const terminated: BaaVersionTerms = { ...signed, status: 'terminated' };

describe('BAA lifecycle', () => {
  it.each([
    ['signs a draft', 'sign', draft, signed],
    ['edits a draft', 'edit_draft', draft, { ...draft, permittedCategories: ['coverage'] }],
    ['abandons a draft (terminated)', 'terminate', draft, { ...draft, status: 'terminated' }],
    [
      'amends permitted categories of a signed BAA',
      'amend',
      signed,
      { ...signed, permittedCategories: ['identity'] },
    ],
    ['amends the signing date only', 'amend', signed, { ...signed, signedAt: '2026-01-03' }],
    ['renews a signed BAA with a later expiry', 'renew', signed, { ...signed, expiresAt: '2028-01-02' }],
    [
      'renews a signed BAA with a new document',
      'renew',
      signed,
      { ...signed, documentSha256: 'b'.repeat(64) },
    ],
    ['renews a signed BAA into one without an end date', 'renew', signed, { ...signed, expiresAt: null }],
    [
      'renews a BAA the service marked expired',
      'renew',
      markedExpired,
      { ...signed, expiresAt: '2028-01-02' },
    ],
    [
      'renews a signed BAA whose date passed (not yet marked)',
      'renew',
      lapsed,
      { ...signed, expiresAt: '2028-01-02' },
    ],
    ['terminates a signed BAA', 'terminate', signed, { ...signed, status: 'terminated' }],
    ['terminates an expired BAA', 'terminate', markedExpired, { ...markedExpired, status: 'terminated' }],
  ] as const)('%s → %s', (_name, change, current, next) => {
    expect(planBaaChange(current, next as BaaVersionTerms, TODAY)).toEqual({ ok: true, change });
  });

  it.each([
    ['any change to a terminated BAA', 'terminated', terminated, signed],
    ['terminating a terminated BAA again', 'terminated', terminated, terminated],
    ['a terminated draft', 'terminated', { ...draft, status: 'terminated' }, draft],
    ['marking a BAA expired by hand', 'transition', signed, { ...signed, status: 'expired' }],
    ['a signed BAA back to draft', 'transition', signed, draft],
    ['an expired BAA back to draft', 'transition', markedExpired, draft],
    ['signing without signedAt', 'incomplete', draft, { ...signed, signedAt: null }],
    ['signing without effectiveFrom', 'incomplete', draft, { ...signed, effectiveFrom: null }],
    ['signing without documentSha256', 'incomplete', draft, { ...signed, documentSha256: null }],
    ['expiry on or before the start', 'incomplete', draft, { ...signed, expiresAt: signed.effectiveFrom }],
    ['a renewal that has already lapsed', 'incomplete', markedExpired, { ...signed, expiresAt: TODAY }],
  ] as const)('refuses %s (%s)', (_name, refusal, current, next) => {
    expect(planBaaChange(current as BaaVersionTerms, next as BaaVersionTerms, TODAY)).toMatchObject({
      ok: false,
      refusal,
    });
  });

  it.each([
    ['signed, inside its term', 'signed', signed],
    ['signed, on its expiry date', 'expired', { ...signed, expiresAt: TODAY }],
    ['signed, the day before expiry', 'signed', { ...signed, expiresAt: '2026-12-02' }],
    ['signed without an end date', 'signed', { ...signed, expiresAt: null }],
    ['a draft past a proposed expiry', 'draft', { ...draft, expiresAt: '2026-01-01' }],
    ['terminated', 'terminated', terminated],
  ] as const)('effective status: %s → %s', (_name, status, baa) => {
    expect(effectiveBaaStatus(baa, TODAY)).toBe(status);
  });
});
