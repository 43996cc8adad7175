import { isAdminScope, type Principal, type Scope } from '@app/common';

/**
 * Decides whether a principal may call a route that needs any of `required`. Returns null when
 * allowed, otherwise the refusal reason. Admin routes need an admin with MFA; partner routes are
 * for partners; an empty declaration refuses everyone (a route must say who may call it).
 */
export function authorizeScopes(principal: Principal, required: readonly Scope[]): string | null {
  if (required.length === 0) return 'route_without_scope';
  const adminRoute = required.some(isAdminScope);
  if (adminRoute && principal.kind !== 'admin') return 'partner_on_admin_route';
  if (!adminRoute && principal.kind === 'admin') return 'admin_on_partner_route';
  if (principal.kind === 'admin' && !principal.mfa) return 'mfa_required';
  const held = principal.scopes as ReadonlySet<string>;
  return required.some((scope) => held.has(scope)) ? null : 'missing_scope';
}
