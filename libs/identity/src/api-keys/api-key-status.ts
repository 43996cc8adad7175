/** What an API key's dates mean at `now`: revoked wins, then the end of a rotation overlap. */
export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export function apiKeyStatus(
  key: { revokedAt?: Date | null; expiresAt?: Date | null },
  now: Date,
): ApiKeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return 'active';
}
