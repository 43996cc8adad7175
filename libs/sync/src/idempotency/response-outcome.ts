/** What happens to a claimed key once its request has an answer. */
export type ResponseOutcome = 'store' | 'release';

// Answers that state a fact the request found while executing: replaying them is what the client
// would get again (the resource is gone, the state conflicts, the precondition failed).
const STORED_CLIENT_ERRORS: ReadonlySet<number> = new Set([404, 409, 410, 412]);

/**
 * Which answers are kept and replayed for the key, and which free the key for a retry. Stored:
 * 2xx and 3xx, and 404, 409, 410, 412. Released: every other status — a request refused before it
 * could change anything (400 validation, 401/403, 413, 415, 422, 428, 429) or that failed (5xx).
 * Released answers are safe to execute again because a service that throws rolls its transaction
 * back; Stripe also keeps 5xx answers, we free the key instead so a retry can succeed.
 */
export function responseOutcome(status: number): ResponseOutcome {
  if (status >= 200 && status < 400) return 'store';
  return STORED_CLIENT_ERRORS.has(status) ? 'store' : 'release';
}
