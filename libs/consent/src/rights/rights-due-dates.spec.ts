import { dueAt, extendedDueAt, isOverdue } from './rights-due-dates';
import type { RightsRequestKind } from './rights-request-state';

const received = new Date('2026-01-31T09:30:00Z');

describe('rights request due dates', () => {
  it.each<[RightsRequestKind, string]>([
    ['access', '2026-03-02T09:30:00.000Z'],
    ['amendment', '2026-04-01T09:30:00.000Z'],
    ['deletion', '2026-03-02T09:30:00.000Z'],
  ])('%s is due %s', (kind, expected) => {
    const sut = dueAt;
    expect(sut(kind, received).toISOString()).toBe(expected);
  });

  it.each<[boolean, string | null]>([
    [false, '2026-04-01T09:30:00.000Z'],
    [true, null],
  ])('one 30-day extension (already extended: %s)', (already, expected) => {
    const sut = extendedDueAt;
    expect(sut(new Date('2026-03-02T09:30:00Z'), already)?.toISOString() ?? null).toBe(expected);
  });

  it.each<[boolean, string, boolean]>([
    [true, '2026-03-02T09:30:00Z', false],
    [true, '2026-03-02T09:30:00.001Z', true],
    [false, '2026-06-01T00:00:00Z', false],
    [true, '2026-03-01T00:00:00Z', false],
  ])('open %s at %s is overdue: %s', (open, now, expected) => {
    const sut = isOverdue;
    expect(sut(open, new Date('2026-03-02T09:30:00Z'), new Date(now))).toBe(expected);
  });
});
