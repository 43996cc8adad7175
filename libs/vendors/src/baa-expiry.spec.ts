import { expiryWarnings, type VendorExpiryFacts } from './baa-expiry';

const TODAY = '2026-12-01';
const vendor = (facts: Partial<VendorExpiryFacts>): VendorExpiryFacts => ({
  vendorId: 'vnd_A',
  status: 'signed',
  expiresAt: '2027-06-01',
  warned: [],
  ...facts,
});

describe('BAA expiry warnings', () => {
  it.each([
    ['far from expiry', vendor({}), []],
    ['31 days out', vendor({ expiresAt: '2027-01-01' }), []],
    [
      'exactly 30 days out',
      vendor({ expiresAt: '2026-12-31' }),
      [{ daysAhead: 30, severity: 'medium', daysLeft: 30, settles: [30] }],
    ],
    ['30 days out, already warned', vendor({ expiresAt: '2026-12-31', warned: [30] }), []],
    ['20 days out, warned at 30', vendor({ expiresAt: '2026-12-21', warned: [30] }), []],
    [
      'exactly 7 days out, warned at 30',
      vendor({ expiresAt: '2026-12-08', warned: [30] }),
      [{ daysAhead: 7, severity: 'high', daysLeft: 7, settles: [7] }],
    ],
    [
      '5 days out, never warned: one high alert settles both',
      vendor({ expiresAt: '2026-12-06' }),
      [{ daysAhead: 7, severity: 'high', daysLeft: 5, settles: [30, 7] }],
    ],
    ['1 day out, warned at both', vendor({ expiresAt: '2026-12-02', warned: [30, 7] }), []],
    ['a draft about to expire', vendor({ status: 'draft', expiresAt: '2026-12-06' }), []],
    ['a terminated BAA', vendor({ status: 'terminated', expiresAt: '2026-12-06' }), []],
    ['a signed BAA without an end date', vendor({ expiresAt: null }), []],
  ] as const)('%s', (_name, facts, expected) => {
    const { warnings, lapsed } = expiryWarnings(TODAY, [facts]);
    expect(warnings).toEqual(expected.map((w) => ({ vendorId: 'vnd_A', expiresAt: facts.expiresAt, ...w })));
    expect(lapsed).toEqual([]);
  });

  it.each([
    ['expires today (its first uncovered day)', vendor({ expiresAt: TODAY }), ['vnd_A']],
    ['expired yesterday', vendor({ expiresAt: '2026-11-30' }), ['vnd_A']],
    ['already recorded expired', vendor({ status: 'expired', expiresAt: '2026-11-30' }), []],
    ['expires tomorrow', vendor({ expiresAt: '2026-12-02', warned: [30, 7] }), []],
  ] as const)('records expiry: %s', (_name, facts, lapsed) => {
    expect(expiryWarnings(TODAY, [facts]).lapsed).toEqual(lapsed);
  });

  it('decides each vendor on its own', () => {
    const { warnings, lapsed } = expiryWarnings(TODAY, [
      vendor({ vendorId: 'vnd_30', expiresAt: '2026-12-20' }),
      vendor({ vendorId: 'vnd_7', expiresAt: '2026-12-05', warned: [30] }),
      vendor({ vendorId: 'vnd_gone', expiresAt: '2026-11-01' }),
      vendor({ vendorId: 'vnd_far' }),
    ]);
    expect(warnings.map((w) => [w.vendorId, w.daysAhead])).toEqual([
      ['vnd_30', 30],
      ['vnd_7', 7],
    ]);
    expect(lapsed).toEqual(['vnd_gone']);
  });
});
