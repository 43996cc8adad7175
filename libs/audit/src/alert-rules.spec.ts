import { sourceNetwork, withinBusinessHours } from './alert-rules';

const hours = { firstDay: 1, lastDay: 5, startHour: 8, endHour: 18 };

describe('withinBusinessHours', () => {
  it.each([
    ['Monday 08:00', '2026-11-23T08:00:00Z', true],
    ['Monday 17:59', '2026-11-23T17:59:59Z', true],
    ['Monday 18:00', '2026-11-23T18:00:00Z', false],
    ['Monday 07:59', '2026-11-23T07:59:59Z', false],
    ['Saturday noon', '2026-11-28T12:00:00Z', false],
    ['Sunday noon', '2026-11-29T12:00:00Z', false],
    ['Friday noon', '2026-11-27T12:00:00Z', true],
  ])('%s → %s', (_name, at, expected) => {
    expect(withinBusinessHours(new Date(at), hours)).toBe(expected);
  });
});

describe('sourceNetwork', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['nonsense', 'unparsable'],
  ])('%s → %s', (ip, expected) => {
    expect(sourceNetwork(ip)).toBe(expected);
  });
});
