import { apiKeyStatus, type ApiKeyStatus } from './api-key-status';

const now = new Date('2026-12-01T12:00:00Z');
const before = new Date('2026-12-01T11:59:59Z');
const after = new Date('2026-12-01T12:00:01Z');

describe('apiKeyStatus', () => {
  const cases: Array<[string, { revokedAt?: Date | null; expiresAt?: Date | null }, ApiKeyStatus]> = [
    ['a key never rotated nor revoked is active', { revokedAt: null, expiresAt: null }, 'active'],
    ['a rotated key inside its overlap is active', { expiresAt: after }, 'active'],
    ['a rotated key past its overlap is expired', { expiresAt: before }, 'expired'],
    ['a key whose overlap ends this instant is expired', { expiresAt: now }, 'expired'],
    ['a revoked key is revoked even inside its overlap', { revokedAt: before, expiresAt: after }, 'revoked'],
    ['a revoked key is revoked after its overlap too', { revokedAt: before, expiresAt: before }, 'revoked'],
  ];

  it.each(cases)('%s', (_name, key, expected) => {
    const sut = apiKeyStatus;
    expect(sut(key, now)).toBe(expected);
  });
});
