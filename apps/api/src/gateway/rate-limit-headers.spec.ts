import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { applyRateLimit, rateLimitHeaders } from './rate-limit-headers';

describe('rateLimitHeaders', () => {
  it.each([
    [
      'a counter within its budget',
      { totalHits: 2, timeToExpire: 58, isBlocked: false, timeToBlockExpire: 0 },
      { 'RateLimit-Limit': 5, 'RateLimit-Remaining': 3, 'RateLimit-Reset': 58 },
    ],
    [
      'a blocked counter (reset and retry follow the block)',
      { totalHits: 7, timeToExpire: 20, isBlocked: true, timeToBlockExpire: 45 },
      { 'RateLimit-Limit': 5, 'RateLimit-Remaining': 0, 'RateLimit-Reset': 45, 'Retry-After': 45 },
    ],
    [
      'a block about to end (retry never under a second)',
      { totalHits: 6, timeToExpire: 0, isBlocked: true, timeToBlockExpire: 0 },
      { 'RateLimit-Limit': 5, 'RateLimit-Remaining': 0, 'RateLimit-Reset': 0, 'Retry-After': 1 },
    ],
  ])('describes %s', (_case, record, expected) => {
    expect(rateLimitHeaders(5, record)).toEqual(expected);
  });
});

describe('applyRateLimit', () => {
  const reply = () => {
    const headers: Record<string, number> = {};
    const sut = {
      headers: (values: Record<string, number>) => Object.assign(headers, values) && sut,
    } as unknown as FastifyReply;
    return { sut, headers };
  };

  it('refuses a blocked counter with 429 after setting its headers', () => {
    const { sut, headers } = reply();
    expect(() =>
      applyRateLimit(sut, 5, { totalHits: 6, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 60 }),
    ).toThrow(ThrottlerException);
    expect(headers['Retry-After']).toBe(60);
  });

  it('lets a counter within its budget through', () => {
    const { sut, headers } = reply();
    applyRateLimit(sut, 5, { totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(headers['RateLimit-Remaining']).toBe(4);
  });
});
