import { createHash, randomBytes } from 'node:crypto';

/** How long a one-time export link works: long enough to hand over, short enough to be worthless if lost. */
export const EXPORT_LINK_TTL_MS = 15 * 60 * 1000;

/** 32 random bytes (256 bits) as base64url: 43 characters, nothing derived from the member. */
export const EXPORT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newExportToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps: SHA-256 of the token, so a copy of the table opens no export. */
export function exportTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export type ExportLinkState = 'usable' | 'consumed' | 'expired';

/** A link serves one download before it expires; the expiry instant itself is already too late. */
export function exportLinkState(
  link: { expiresAt: Date; consumedAt: Date | null },
  now: Date,
): ExportLinkState {
  if (link.consumedAt) return 'consumed';
  return now.getTime() < link.expiresAt.getTime() ? 'usable' : 'expired';
}
