/** A subscription with what the fan-out needs to know about its partner. */
export interface CandidateSubscription {
  subscriptionId: string;
  partnerId: string;
  partnerActive: boolean;
  partnerOrganizationIds: readonly string[];
}

/**
 * The subscriptions one change goes to: partners that see the member's organization, are active,
 * and did not send the change themselves (no echo). Consent, BAA and projection are checked again
 * when each delivery is sent.
 */
export function deliveryTargets(
  change: { organizationId: string; sender: string },
  candidates: readonly CandidateSubscription[],
): CandidateSubscription[] {
  return candidates.filter(
    (c) =>
      c.partnerActive &&
      c.partnerId !== change.sender &&
      c.partnerOrganizationIds.includes(change.organizationId),
  );
}
