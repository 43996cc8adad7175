import { createHash } from 'node:crypto';
import { EXPORT_TOKEN_PATTERN, exportLinkState, exportTokenHash, newExportToken } from './export-link-token';

describe('one-time export link token', () => {
  it('is 256 random bits as base64url, different every time', () => {
    const tokens = Array.from({ length: 50 }, () => newExportToken());
    expect(tokens.every((t) => EXPORT_TOKEN_PATTERN.test(t))).toBe(true);
    expect(Buffer.from(tokens[0], 'base64url')).toHaveLength(32);
    expect(new Set(tokens).size).toBe(50);
  });

  it('is stored as its SHA-256 only', () => {
    const token = newExportToken();
    const sut = exportTokenHash;
    expect(sut(token).equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(sut(token).toString('base64url')).not.toBe(token);
  });

  const expiresAt = new Date('2026-12-01T10:15:00Z');
  it.each<[string, Date | null, string]>([
    ['2026-12-01T10:00:00Z', null, 'usable'],
    ['2026-12-01T10:14:59.999Z', null, 'usable'],
    ['2026-12-01T10:15:00Z', null, 'expired'],
    ['2026-12-01T10:16:00Z', null, 'expired'],
    ['2026-12-01T10:01:00Z', new Date('2026-12-01T10:00:30Z'), 'consumed'],
  ])('at %s (consumed %s) is %s', (now, consumedAt, expected) => {
    const sut = exportLinkState;
    expect(sut({ expiresAt, consumedAt }, new Date(now))).toBe(expected);
  });
});
