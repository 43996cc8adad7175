import {
  parseRetrySchedule,
  retryDelayMs,
  STANDARD_WEBHOOKS_SCHEDULE_SECONDS,
} from './delivery-retry-schedule';

describe('delivery retry schedule', () => {
  it.each<[string, string, number[] | null]>([
    [
      'the standard schedule',
      '0,5,300,1800,7200,18000,36000,50400,72000,86400',
      [...STANDARD_WEBHOOKS_SCHEDULE_SECONDS],
    ],
    ['a tiny test schedule with spaces', '0, 1, 1', [0, 1, 1]],
    ['one attempt only', '0', [0]],
    ['a negative number', '0,-5', null],
    ['a fraction', '0,1.5', null],
    ['an empty item', '0,,5', null],
    ['words', 'soon', null],
  ])('reads %s', (_case, text, expected) => {
    expect(parseRetrySchedule(text)).toEqual(expected);
  });

  const schedule = [...STANDARD_WEBHOOKS_SCHEDULE_SECONDS];

  it.each<[string, number, number | null, number, number | null]>([
    ['after the first attempt, 5 s without jitter', 1, null, 0.5, 5000],
    ['after the second, 5 min', 2, null, 0.5, 300_000],
    ['with the lowest jitter, 10 % less', 2, null, 0, 270_000],
    ['with the highest jitter, up to 10 % more', 2, null, 0.999999, 330_000],
    ['a longer Retry-After wins', 1, 120, 0.5, 120_000],
    ['a shorter Retry-After does not shorten the wait', 3, 60, 0.5, 1_800_000],
    ['after the ninth, 24 h', 9, null, 0.5, 86_400_000],
    ['after the tenth and last, none: dead letter', 10, null, 0.5, null],
    ['after the last, even with a Retry-After, none', 10, 5, 0.5, null],
  ])('waits %s', (_case, attempt, retryAfter, random, expected) => {
    expect(retryDelayMs(schedule, attempt, retryAfter, random)).toBe(expected);
  });
});
