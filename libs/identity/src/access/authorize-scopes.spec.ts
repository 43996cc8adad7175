import type { AdminPrincipal, PartnerPrincipal } from '@app/common';
import { authorizeScopes } from './authorize-scopes';

const carrier: PartnerPrincipal = {
  kind: 'partner_client',
  id: 'cli_C',
  partnerId: 'prt_C',
  partnerType: 'carrier',
  vendorId: 'vnd_C',
  organizationIds: [],
  categories: [],
  purpose: 'eligibility',
  requiresConsent: false,
  scopes: new Set(['members.eligibility:read']),
};
const officer: AdminPrincipal = {
  kind: 'admin',
  id: 'adm_O',
  role: 'compliance_officer',
  scopes: new Set(['admin:vendors:write']),
  mfa: true,
  source: 'local',
};

describe('authorizeScopes', () => {
  it.each([
    ['a partner with one of the scopes', carrier, ['members:read', 'members.eligibility:read'], null],
    ['a partner without the scope', carrier, ['members:read'], 'missing_scope'],
    ['a partner on an admin route', carrier, ['admin:vendors:write'], 'partner_on_admin_route'],
    ['an admin with MFA and the scope', officer, ['admin:vendors:write'], null],
    ['an admin without the scope', officer, ['admin:keys:rotate'], 'missing_scope'],
    ['an admin without MFA', { ...officer, mfa: false }, ['admin:vendors:write'], 'mfa_required'],
    ['an admin on a partner route', officer, ['members:read'], 'admin_on_partner_route'],
    ['anyone on a route that declares nothing', officer, [], 'route_without_scope'],
  ] as const)('%s → %s', (_name, principal, required, expected) => {
    expect(authorizeScopes(principal, required)).toBe(expected);
  });
});
