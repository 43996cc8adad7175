import { notificationDeadlines, type DeadlineFacts } from './notification-deadlines';

const facts = (overrides: Partial<DeadlineFacts>): DeadlineFacts => ({
  discoveredAt: new Date('2026-12-01T15:00:00Z'),
  affected: 3,
  residentsByState: {},
  ...overrides,
});

describe('notificationDeadlines', () => {
  it.each([
    ['2026-12-01T15:00:00Z', '2027-01-30'],
    ['2026-12-01T23:59:59Z', '2027-01-30'],
    ['2028-01-01T00:00:00Z', '2028-03-01'],
    ['2027-12-31T10:00:00Z', '2028-02-29'],
  ])('gives individuals until 60 days after discovery on %s: %s', (discoveredAt, dueBy) => {
    const sut = notificationDeadlines(facts({ discoveredAt: new Date(discoveredAt) }));
    expect(sut.individuals).toEqual({ dueBy });
  });

  it.each([
    // [discovered, affected, HHS route, due]
    ['2026-03-10T00:00:00Z', 1, 'annual_log', '2027-03-01'],
    ['2026-03-10T00:00:00Z', 499, 'annual_log', '2027-03-01'],
    ['2027-06-15T00:00:00Z', 12, 'annual_log', '2028-02-29'],
    ['2027-12-31T23:00:00Z', 12, 'annual_log', '2028-02-29'],
    ['2028-02-29T00:00:00Z', 12, 'annual_log', '2029-03-01'],
    ['2026-03-10T00:00:00Z', 500, 'within_60_days', '2026-05-09'],
    ['2026-03-10T00:00:00Z', 501, 'within_60_days', '2026-05-09'],
  ] as const)('discovered %s with %d affected: HHS by %s on %s', (discoveredAt, affected, route, dueBy) => {
    const sut = notificationDeadlines(facts({ discoveredAt: new Date(discoveredAt), affected }));
    expect(sut.hhs).toEqual({ route, dueBy });
  });

  it.each([
    ['no state known', {}, undefined],
    ['exactly 500 in one state', { CA: 500 }, undefined],
    ['501 split across states', { CA: 250, NY: 251 }, undefined],
    ['501 in one state', { CA: 501, NY: 20 }, ['CA']],
    ['more than 500 in two states, listed in order', { TX: 900, CA: 501 }, ['CA', 'TX']],
  ] as const)('media notice with %s', (_case, residentsByState, states) => {
    const affected = Object.values(residentsByState as Record<string, number>).reduce((a, b) => a + b, 0);
    const sut = notificationDeadlines(facts({ affected, residentsByState }));
    if (states === undefined) expect(sut.media).toBeUndefined();
    else expect(sut.media).toEqual({ dueBy: '2027-01-30', states });
  });
});
