import { hash } from 'node:crypto';

// Verified bearer-token claims, remembered so an ES256 signature is checked once per process rather
// than on every request. It never holds a principal: status, revocation and binding are checked anew.

/** What a successful verification established: the claims and the key that signed them. */
export interface VerifiedToken<Claims> {
  claims: Claims;
  kid: string;
  exp: number;
  nbf?: number;
}

/**
 * Whether a token verified earlier would still pass jsonwebtoken's time checks now: expired once
 * `now >= exp + tolerance`, not yet valid while `nbf > now + tolerance` (verify.js, same operators).
 */
export function stillWithinLifetime(
  token: { exp: number; nbf?: number },
  nowSeconds: number,
  toleranceSeconds: number,
): boolean {
  if (nowSeconds >= token.exp + toleranceSeconds) return false;
  return token.nbf === undefined || token.nbf <= nowSeconds + toleranceSeconds;
}

/** The cache key: a digest, so the process never keeps usable bearer tokens in its heap. */
export function verifiedTokenKey(rawToken: string): string {
  return hash('sha256', rawToken, 'base64url');
}

/** A bounded least-recently-used map of verified tokens; an entry past its lifetime is never returned. */
export class VerifiedTokenCache<Claims> {
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first.
  private readonly entries = new Map<string, VerifiedToken<Claims>>();

  constructor(
    private readonly maxEntries: number,
    private readonly toleranceSeconds: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, nowSeconds: number): VerifiedToken<Claims> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (!stillWithinLifetime(entry, nowSeconds, this.toleranceSeconds)) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: VerifiedToken<Claims>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
