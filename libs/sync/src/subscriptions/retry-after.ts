/** A Retry-After further out than this is read as this: a partner cannot park a delivery for months. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/**
 * Seconds to wait from a `Retry-After` header (RFC 9110: delta-seconds or an HTTP-date), capped at
 * a day; null when there is none or it cannot be read (the retry schedule then decides alone).
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d{1,12}$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
  // An HTTP-date has a weekday name, a GMT suffix and fits in 29 characters; anything else is ignored.
  if (text.length > 40 || !/GMT$/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, Math.ceil((at - nowMs) / 1000)), MAX_RETRY_AFTER_SECONDS);
}
