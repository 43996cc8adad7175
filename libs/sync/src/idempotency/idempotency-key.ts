/** The request header a client names its retry-safe attempt with (Stripe's name and semantics). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Set on an answer that was replayed from the stored first response, not executed again. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** The methods whose requests may change state, so a key makes their retries safe. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Printable ASCII (space to tilde): a key is an opaque token, never text in another script.
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** True for 1 to 255 printable ASCII characters. */
export function isValidIdempotencyKey(key: string): boolean {
  return key.length >= 1 && key.length <= IDEMPOTENCY_KEY_MAX_LENGTH && PRINTABLE_ASCII.test(key);
}
