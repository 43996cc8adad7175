import { createHash, timingSafeEqual } from 'node:crypto';

const TOKEN = /^[\x21-\x7e]{32,4096}$/;

/**
 * The SHA-256 of the scraper's token, the only form kept in memory. A token read from a file loses
 * its trailing line break; one that is too short or holds spaces stops the boot (as the env rule would).
 */
export function metricsTokenDigest(token: string): Buffer {
  const text = token.replace(/\r?\n$/, '');
  if (!TOKEN.test(text))
    throw new Error('the metrics token must be 32 to 4096 printable characters, no spaces');
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Whether an Authorization header carries the token: the presented value is hashed and the two
 * digests compared in constant time, so neither its length nor its first differing byte leaks.
 */
export function bearerMatches(authorization: string | undefined, digest: Buffer): boolean {
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(authorization ?? '');
  if (!match) return false;
  return timingSafeEqual(createHash('sha256').update(match[1], 'utf8').digest(), digest);
}
