import { failingForMs } from './failing-endpoints';

describe('failingForMs', () => {
  it.each([
    ['a start a minute ago', '1000', 61_000, 60_000],
    ['a start now', '61000', 61_000, 0],
    ['a start in the future (clock skew between workers)', '70000', 61_000, 0],
    ['nothing stored (cleared by a success)', null, 61_000, 0],
    ['an empty value', '', 61_000, 0],
    ['garbage', 'soon', 61_000, 0],
  ])('answers %s', (_case, stored, nowMs, expected) => {
    expect(failingForMs(stored, nowMs)).toBe(expected);
  });
});
