import { decodeFeedCursor, encodeFeedCursor, FEED_START } from './feed-cursor';

describe('feed cursor', () => {
  it.each([0, 1, 42, '9007199254740993', 10n ** 17n])('round-trips position %s', (position) => {
    const sut = encodeFeedCursor(position);
    expect(decodeFeedCursor(sut)).toBe(String(position));
  });

  it('is opaque: the cursor does not show the position', () => {
    expect(encodeFeedCursor(1234)).not.toContain('1234');
  });

  it('starts at position 0', () => {
    expect(decodeFeedCursor(FEED_START)).toBe('0');
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$'],
    ['another version', Buffer.from('f2.5').toString('base64url')],
    ['a negative position', Buffer.from('f1.-5').toString('base64url')],
    ['text after the position', Buffer.from('f1.5.6').toString('base64url')],
    ['SQL in the position', Buffer.from("f1.5' or 1=1").toString('base64url')],
    ['a non-canonical position', Buffer.from('f1.007').toString('base64url')],
    ['an overlong cursor', 'A'.repeat(65)],
  ])('refuses %s', (_name, cursor) => {
    expect(decodeFeedCursor(cursor)).toBeNull();
  });

  it('refuses to encode a negative or fractional position', () => {
    expect(() => encodeFeedCursor(-1)).toThrow(RangeError);
    expect(() => encodeFeedCursor(1.5)).toThrow(RangeError);
  });
});
