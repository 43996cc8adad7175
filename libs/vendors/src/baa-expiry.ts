import type { AlertSeverity } from '@app/audit';
import type { BaaStatus } from './vendor.entity';

/** How many days ahead of expiry a warning goes out, and how loud. */
export const EXPIRY_THRESHOLDS = [
  { daysAhead: 30, severity: 'medium' },
  { daysAhead: 7, severity: 'high' },
] as const satisfies ReadonlyArray<{ daysAhead: number; severity: AlertSeverity }>;
export type ExpiryThreshold = (typeof EXPIRY_THRESHOLDS)[number]['daysAhead'];

export interface VendorExpiryFacts {
  vendorId: string;
  /** The stored status (not yet the effective one: this decides when to record `expired`). */
  status: BaaStatus;
  expiresAt: string | null;
  /** Thresholds already warned about for this `expiresAt`. */
  warned: readonly ExpiryThreshold[];
}

export interface ExpiryWarning {
  vendorId: string;
  expiresAt: string;
  /** The most urgent threshold crossed: the one the alert is about. */
  daysAhead: ExpiryThreshold;
  severity: AlertSeverity;
  daysLeft: number;
  /** Every threshold this warning settles (a BAA found 5 days out settles 30 and 7 at once). */
  settles: ExpiryThreshold[];
}

const DAY_MS = 86_400_000;

/** Whole days from `today` to `date` (both YYYY-MM-DD, UTC). */
export function daysBetween(today: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS);
}

/**
 * What the daily check does for each vendor: warn once per threshold (30 days: medium, 7: high)
 * before a signed BAA's `expiresAt` (the first day it no longer covers), one alert per vendor per
 * run (the most urgent threshold), and record `expired` for signed BAAs whose day has come.
 */
export function expiryWarnings(
  today: string,
  vendors: readonly VendorExpiryFacts[],
): { warnings: ExpiryWarning[]; lapsed: string[] } {
  const warnings: ExpiryWarning[] = [];
  const lapsed: string[] = [];
  for (const vendor of vendors) {
    if (vendor.status !== 'signed' || !vendor.expiresAt) continue;
    const daysLeft = daysBetween(today, vendor.expiresAt);
    if (daysLeft <= 0) {
      lapsed.push(vendor.vendorId);
      continue;
    }
    const crossed = EXPIRY_THRESHOLDS.filter((t) => daysLeft <= t.daysAhead);
    const mostUrgent = crossed.at(-1);
    if (!mostUrgent || vendor.warned.includes(mostUrgent.daysAhead)) continue;
    warnings.push({
      vendorId: vendor.vendorId,
      expiresAt: vendor.expiresAt,
      daysAhead: mostUrgent.daysAhead,
      severity: mostUrgent.severity,
      daysLeft,
      settles: crossed.map((t) => t.daysAhead).filter((d) => !vendor.warned.includes(d)),
    });
  }
  return { warnings, lapsed };
}
