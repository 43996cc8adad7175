import { DATA_CATEGORIES, type DataCategory } from '@app/common';
import type { StoredConsentStatus } from './consent.entity';

export const CONSENT_STATUSES = ['active', 'revoked', 'expired'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** The parts of a consent the rule reads. */
export interface ConsentTerms {
  purpose: string;
  categories: readonly DataCategory[];
  validFrom: Date;
  validUntil?: Date | null;
  status: StoredConsentStatus;
}

/** Revoked wins; otherwise expired once `validUntil` has passed (computed, so exact to the instant). */
export function consentStatus(consent: ConsentTerms, now: Date): ConsentStatus {
  if (consent.status === 'revoked') return 'revoked';
  if (consent.validUntil && consent.validUntil.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** In effect for `purpose` at `now`: active, for that purpose, validFrom ≤ now < validUntil. */
export function consentInEffect(consent: ConsentTerms, purpose: string, now: Date): boolean {
  return (
    consentStatus(consent, now) === 'active' &&
    consent.purpose === purpose &&
    consent.validFrom.getTime() <= now.getTime()
  );
}

/** Per member, the union of the categories of its consents in effect, in catalog order; members with none are absent. */
export function consentedCategories(
  consents: readonly (ConsentTerms & { memberId: string })[],
  purpose: string,
  now: Date,
): Map<string, DataCategory[]> {
  const union = new Map<string, Set<DataCategory>>();
  for (const consent of consents) {
    if (!consentInEffect(consent, purpose, now)) continue;
    let categories = union.get(consent.memberId);
    if (!categories) union.set(consent.memberId, (categories = new Set()));
    for (const category of consent.categories) categories.add(category);
  }
  return new Map([...union].map(([memberId, set]) => [memberId, DATA_CATEGORIES.filter((c) => set.has(c))]));
}

/** What a new consent is checked against: the partner as registered and the member's organization. */
export interface ConsentCreation {
  purpose: string;
  categories: readonly DataCategory[];
  validFrom: Date;
  validUntil?: Date | null;
  memberOrganizationId: string;
  partner: { purpose: string; categories: readonly DataCategory[]; organizationIds: readonly string[] };
}

/**
 * Why a consent cannot be recorded (null when it can). A consent that could never take effect is
 * refused rather than stored: its purpose must be the partner's (the read rule compares them), its
 * categories among the partner's registered ones, its member in an organization the partner sees.
 */
export function consentRefusal(input: ConsentCreation): string | null {
  if (!input.partner.organizationIds.includes(input.memberOrganizationId))
    return "The partner is not linked to the member's organization.";
  if (input.purpose !== input.partner.purpose) return "purpose must be the partner's purpose of use.";
  const outside = input.categories.filter((c) => !input.partner.categories.includes(c));
  if (outside.length > 0) return `Categories outside the partner's registration: ${outside.join(', ')}.`;
  if (input.validUntil && input.validUntil.getTime() <= input.validFrom.getTime())
    return 'validUntil must be after validFrom.';
  return null;
}
