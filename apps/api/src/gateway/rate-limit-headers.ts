import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { CounterRecord } from './admission-script';

/**
 * IETF `RateLimit-*` headers for one budget's counter (seconds until the window, or the block, ends);
 * a refusal adds `Retry-After`, never less than a second.
 */
export function rateLimitHeaders(limit: number, record: CounterRecord): Record<string, number> {
  const resetSeconds = Math.max(0, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire);
  const headers: Record<string, number> = {
    'RateLimit-Limit': limit,
    'RateLimit-Remaining': Math.max(0, limit - record.totalHits),
    'RateLimit-Reset': resetSeconds,
  };
  if (record.isBlocked) headers['Retry-After'] = Math.max(1, resetSeconds);
  return headers;
}

/**
 * Puts a counter's headers on the answer (a later budget's replace an earlier one's, so the answer
 * describes the last budget checked) and refuses with 429 when the counter is blocked.
 */
export function applyRateLimit(reply: FastifyReply, limit: number, record: CounterRecord): void {
  void reply.headers(rateLimitHeaders(limit, record));
  if (record.isBlocked) throw new ThrottlerException();
}
