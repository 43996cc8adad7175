import type { DataCategory } from '@app/common';

/** Why a delivery was dropped for good (audited `denied`): nothing will make it deliverable again. */
export type SkipReason = 'subscription_inactive' | 'partner_inactive' | 'not_visible' | 'consent_not_active';

/**
 * Why a delivery was parked (audited `denied`, alerted): a reversible refusal. A BAA renewal (or
 * amendment) or a partner's reinstatement makes it deliverable, and the resume puts it back.
 */
export type ParkReason = 'baa_not_in_effect' | 'no_permitted_categories' | 'partner_suspended';

/** What one attempt knows, read at the time it runs. */
export interface DeliveryGateFacts {
  /** The partner the delivery was queued for. */
  partnerId: string;
  organizationId: string;
  subscription: { active: boolean; partnerId: string } | null;
  partner: {
    status: string;
    categories: readonly DataCategory[];
    organizationIds: readonly string[];
  } | null;
  /** The partner's vendor's BAA today; null when there is no partner to ask about. */
  baa: { inEffect: boolean; categories: readonly DataCategory[] } | null;
}

export type DeliveryGateVerdict =
  | { verdict: 'send'; permitted: DataCategory[] }
  | { verdict: 'park'; reason: ParkReason }
  | { verdict: 'skip'; reason: SkipReason };

/**
 * Whether one delivery may leave now, must wait (parked), or is dropped. Irreversible facts (the
 * subscription or partner gone, the organization no longer visible) drop it; reversible ones (the
 * BAA, a suspension) park it, so nothing the partner is owed is lost while its contract lapses.
 */
export function deliveryGate(facts: DeliveryGateFacts): DeliveryGateVerdict {
  const { subscription, partner, baa } = facts;
  if (!subscription || !subscription.active || subscription.partnerId !== facts.partnerId)
    return { verdict: 'skip', reason: 'subscription_inactive' };
  if (!partner) return { verdict: 'skip', reason: 'partner_inactive' };
  if (!partner.organizationIds.includes(facts.organizationId))
    return { verdict: 'skip', reason: 'not_visible' };
  if (partner.status !== 'active') return { verdict: 'park', reason: 'partner_suspended' };
  if (!baa?.inEffect) return { verdict: 'park', reason: 'baa_not_in_effect' };
  const permitted = partner.categories.filter((c) => baa.categories.includes(c));
  if (permitted.length === 0) return { verdict: 'park', reason: 'no_permitted_categories' };
  return { verdict: 'send', permitted };
}

/**
 * A partner that needs consent gets nothing of a member without an active consent (the member's
 * decision: skipped, not parked, and never sent as a deletion). `visible` is what the access
 * policy answers for the member now.
 */
export function consentAllows(requiresConsent: boolean, visible: readonly DataCategory[]): boolean {
  return !requiresConsent || visible.length > 0;
}

/**
 * Whether a partner's parked deliveries are worth resuming now: the reversible refusals are over
 * (partner active, BAA in effect and permitting one of its categories). A partner that no longer
 * exists is resumed too: its attempt then drops the delivery for good instead of keeping it.
 */
export function parkingOver(
  partner: { status: string; categories: readonly DataCategory[] } | null,
  baa: { inEffect: boolean; categories: readonly DataCategory[] },
): boolean {
  if (!partner) return true;
  return (
    partner.status === 'active' && baa.inEffect && partner.categories.some((c) => baa.categories.includes(c))
  );
}
