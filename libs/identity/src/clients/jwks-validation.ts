import { importJWK, type JWK } from 'jose';

const CLIENT_KEY_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** Checks a partner-registered JWK Set: 1-5 public signing keys of an allowed algorithm. Returns an error text or null. */
export async function jwksProblem(jwks: { keys?: unknown } | undefined): Promise<string | null> {
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0 || jwks.keys.length > 5) {
    return 'jwks must be a JWK Set with 1 to 5 keys.';
  }
  for (const key of jwks.keys as JWK[]) {
    if (typeof key !== 'object' || key === null) return 'jwks.keys must hold JWK objects.';
    if (PRIVATE_MEMBERS.some((m) => m in key)) return 'jwks must hold public keys only.';
    if (!key.alg || !(CLIENT_KEY_ALGS as readonly string[]).includes(key.alg)) {
      return `Each key needs an alg of ${CLIENT_KEY_ALGS.join(', ')}.`;
    }
    if (key.use && key.use !== 'sig') return 'Keys must be signing keys (use=sig).';
    try {
      await importJWK(key, key.alg);
    } catch {
      return 'A key in jwks cannot be imported.';
    }
  }
  return null;
}

export { CLIENT_KEY_ALGS };
