/**
 * The data categories of the ePHI field catalog (DESIGN §3). BAAs, partners and consents grant
 * whole categories; the member field catalog assigns every field to exactly one of them.
 */
export const DATA_CATEGORIES = [
  'identity',
  'government_id',
  'contact',
  'membership',
  'coverage',
  'dependents',
  'wellness',
  'preferences',
] as const;

export type DataCategory = (typeof DATA_CATEGORIES)[number];

export function isDataCategory(value: unknown): value is DataCategory {
  return typeof value === 'string' && (DATA_CATEGORIES as readonly string[]).includes(value);
}
