import type { DataCategory } from '@app/common';
import type { BaaStatus } from './vendor.entity';

export interface BaaTerms {
  status: BaaStatus;
  effectiveFrom?: string | null;
  /** The first day the BAA no longer covers (exclusive). Null: no fixed end. */
  expiresAt?: string | null;
  permittedCategories: readonly DataCategory[];
}

/** `today` is a calendar date (YYYY-MM-DD) in UTC; dates compare as strings. */
export function isBaaInEffect(baa: BaaTerms, today: string): boolean {
  if (baa.status !== 'signed' || !baa.effectiveFrom) return false;
  if (today < baa.effectiveFrom) return false;
  return !baa.expiresAt || today < baa.expiresAt;
}

/** The categories a vendor may receive today: none without a BAA in effect. */
export function baaPermittedCategories(baa: BaaTerms, today: string): DataCategory[] {
  return isBaaInEffect(baa, today) ? [...baa.permittedCategories] : [];
}

export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}
