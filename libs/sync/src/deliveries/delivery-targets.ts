/** A subscription with what the fan-out needs to know about its partner. */
export interface CandidateSubscription {
  subscriptionId: string;
  partnerId: string;
  /** The partner's status now; null when it no longer exists. */
  partnerStatus: string | null;
  partnerOrganizationIds: readonly string[];
}

/**
 * The subscriptions one change goes to: partners that still exist, see the member's organization,
 * and did not send the change themselves (no echo). A suspended partner is a target: its attempt
 * parks the delivery until it is reinstated. Consent, BAA and projection are checked when each
 * delivery is sent.
 */
export function deliveryTargets(
  change: { organizationId: string; sender: string },
  candidates: readonly CandidateSubscription[],
): CandidateSubscription[] {
  return candidates.filter(
    (c) =>
      c.partnerStatus !== null &&
      c.partnerId !== change.sender &&
      c.partnerOrganizationIds.includes(change.organizationId),
  );
}
