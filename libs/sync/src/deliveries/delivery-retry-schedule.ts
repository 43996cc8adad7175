/**
 * Standard Webhooks' recommended schedule, in seconds from the previous attempt: the first attempt
 * at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (ten attempts in all).
 */
export const STANDARD_WEBHOOKS_SCHEDULE_SECONDS = [
  0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
] as const;

/** Each wait is spread by up to ±10 %, so endpoints that failed together are not retried in lockstep. */
export const RETRY_JITTER = 0.1;

/** A comma list of seconds (`0,5,300`) as a schedule; null when it is not one (config validation refuses it). */
export function parseRetrySchedule(text: string): number[] | null {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 50) return null;
  if (!parts.every((p) => /^\d{1,6}$/.test(p))) return null;
  return parts.map(Number);
}

/**
 * How long to wait before the next attempt after attempt `attempt` (1-based) failed, or null when
 * that was the last one (the delivery is dead-lettered). A receiver's Retry-After wins when longer.
 * `random` is in [0, 1) (Math.random in production, fixed in tests).
 */
export function retryDelayMs(
  schedule: readonly number[],
  attempt: number,
  retryAfterSeconds: number | null,
  random: number,
): number | null {
  if (attempt >= schedule.length) return null;
  const planned = schedule[attempt] * 1000 * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random);
  const asked = (retryAfterSeconds ?? 0) * 1000;
  return Math.round(Math.max(planned, asked));
}
