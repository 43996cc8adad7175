import { MAX_RETRY_AFTER_SECONDS, parseRetryAfter } from './retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');

  it.each([
    ['120', 120],
    [' 5 ', 5],
    ['0', 0],
    [['30', '60'], 30],
    ['Mon, 30 Nov 2026 12:01:30 GMT', 90],
    ['Mon, 30 Nov 2026 11:00:00 GMT', 0],
    ['999999999', MAX_RETRY_AFTER_SECONDS],
    ['Sat, 30 Jan 2027 12:00:00 GMT', MAX_RETRY_AFTER_SECONDS],
    [undefined, null],
    ['', null],
    ['-5', null],
    ['1.5', null],
    ['soon', null],
    ['2026-11-30T12:01:30Z', null],
    ['Mon, 99 Foo 2026 12:01:30 GMT', null],
  ])('%j → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
