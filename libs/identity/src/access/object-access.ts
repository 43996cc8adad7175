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

/** What a request is, for the member-scoped token's route rule: method and route template. */
export interface RouteOfRequest {
  method: string;
  route: string | undefined;
}

/** The only routes a member-scoped token may call: reading its one member. */
export const MEMBER_TOKEN_ROUTES: readonly RouteOfRequest[] = [
  { method: 'GET', route: '/api/v1/members/:memberId' },
];

/**
 * A member-scoped token (item 7: a wellness app acting for one member) holds its scopes only on
 * the routes above; on any other (lists, the change feed, subscriptions, writes, routes added
 * later) it holds none, so the scope check answers 403. Deny by default, not a list of refusals.
 */
export function memberTokenRouteScopes<S extends string>(
  granted: readonly S[],
  request: RouteOfRequest,
): S[] {
  const allowed = MEMBER_TOKEN_ROUTES.some((r) => r.method === request.method && r.route === request.route);
  return allowed ? [...granted] : [];
}

/** A member-scoped principal's only object is its member: any other answers like a missing one. */
export function partnerMaySeeMember(principal: PartnerPrincipal, memberId: string): boolean {
  return principal.memberId === undefined || principal.memberId === memberId;
}
