// A change-feed cursor is opaque to readers: base64url of a versioned position (the last sequence
// number read). Only digits are accepted back, so a cursor can never smuggle text into a query.
const VERSION = 'f1';
const POSITION = /^\d{1,18}$/;

/** The cursor after the change with sequence number `position` (0 = before the first change). */
export function encodeFeedCursor(position: string | number | bigint): string {
  const text = String(position);
  if (!POSITION.test(text)) throw new RangeError('a feed position is a non-negative integer');
  return Buffer.from(`${VERSION}.${BigInt(text)}`, 'utf8').toString('base64url');
}

/** The position a cursor stands for, as a decimal string, or null when it is not one of ours. */
export function decodeFeedCursor(cursor: string): string | null {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const [version, position, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (version !== VERSION || rest.length > 0 || position === undefined || !POSITION.test(position))
    return null;
  // Canonical form only: one position has one cursor.
  return encodeFeedCursor(position) === cursor ? position : null;
}

export const FEED_START = encodeFeedCursor(0);
