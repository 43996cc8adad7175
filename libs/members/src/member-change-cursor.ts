/**
 * A position in the partner change feed: the (transaction id, sequence number) of the last change
 * served. Both are unsigned 64-bit integers, carried as decimal strings (beyond a JS number's range).
 */
export interface ChangeFeedPosition {
  tx: string;
  seq: string;
}

/** Before every change: where a feed read without a cursor starts. */
export const FEED_START: ChangeFeedPosition = { tx: '0', seq: '0' };

/** The signed state of a change feed cursor; `k` keeps a member-list cursor from being replayed here. */
export interface ChangeFeedCursorState {
  k: 'changes';
  t: string;
  s: string;
  p: string;
}

const UINT64 = /^(0|[1-9][0-9]{0,19})$/;
const UINT64_MAX = 18446744073709551615n;

function isUint64(value: unknown): value is string {
  return typeof value === 'string' && UINT64.test(value) && BigInt(value) <= UINT64_MAX;
}

/** The state to sign for a position reached by one partner. */
export function changeFeedCursorState(
  position: ChangeFeedPosition,
  partnerId: string,
): ChangeFeedCursorState {
  return { k: 'changes', t: position.tx, s: position.seq, p: partnerId };
}

/**
 * The position a verified cursor state names, or null when it is not a change feed cursor, is
 * malformed, or was issued to another partner.
 */
export function changeFeedPositionOf(state: unknown, partnerId: string): ChangeFeedPosition | null {
  if (typeof state !== 'object' || state === null) return null;
  const { k, t, s, p } = state as Record<string, unknown>;
  if (k !== 'changes' || p !== partnerId || !isUint64(t) || !isUint64(s)) return null;
  return { tx: t, seq: s };
}
