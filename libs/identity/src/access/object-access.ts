import type { PartnerPrincipal, Principal } from '@app/common';

/**
 * Object-level authorization (BOLA): a partner sees a member only through an organization it is
 * linked to. Admin principals are authorized by their admin scopes, not by this rule.
 */
export function partnerMaySeeOrganization(principal: PartnerPrincipal, organizationId: string): boolean {
  return principal.organizationIds.includes(organizationId);
}

/** The organizations a principal's queries must be restricted to; null means unrestricted (admin). */
export function visibleOrganizations(principal: Principal): readonly string[] | null {
  return principal.kind === 'admin' ? null : principal.organizationIds;
}
