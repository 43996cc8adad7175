import { randomBytes } from 'node:crypto';

// Crockford base32: no I, L, O, U, so ids survive being read aloud or retyped.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 26 Crockford base32 characters from 130 random bits. Opaque: never a sequence or derived from data. */
export function randomBase32(length = 26): string {
  const bytes = randomBytes(Math.ceil((length * 5) / 8) + 1);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

export const ID_PREFIXES = {
  organization: 'org',
  member: 'mbr',
  vendor: 'vnd',
  partner: 'prt',
  client: 'cli',
  apiKey: 'key',
  admin: 'adm',
  session: 'ses',
  alert: 'alr',
  rotation: 'rot',
  consent: 'cns',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomBase32()}`;
}

// Compiled once: ids are checked on every request that names one.
const ID_PATTERNS = Object.fromEntries(
  Object.entries(ID_PREFIXES).map(([kind, prefix]) => [
    kind,
    new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`),
  ]),
) as Record<IdKind, RegExp>;

export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERNS[kind].test(value);
}
