/**
 * The one table of who may do what: partner scopes, which integration type may hold which, admin
 * scopes and the roles that map to them. Guards, client registration, the OpenAPI document and
 * the tests all read these.
 */
export const PARTNER_SCOPES = [
  'members:read',
  'members:write',
  'members.eligibility:read',
  'members.preferences:write',
  'sync:write',
  'changes:read',
  'subscriptions:manage',
] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

export const ADMIN_SCOPES = [
  'admin:organizations:write',
  'admin:vendors:read',
  'admin:vendors:write',
  'admin:partners:read',
  'admin:partners:write',
  'admin:credentials:write',
  'admin:audit:read',
  'admin:alerts:read',
  'admin:alerts:write',
  'admin:keys:rotate',
  'admin:queues',
  // Pause, resume, empty, clean, retry, remove jobs or schedules on the queue dashboard.
  'admin:queues:write',
  'admin:members:read',
  // Reconciliation cases: list them, and decide one (keep ours, take theirs, a new value).
  'admin:reconciliation:read',
  'admin:reconciliation:write',
  // Suspend and reinstate a partner (takes effect on its next request).
  'admin:partners:suspend',
  // Consents, member rights requests, breach incidents, the de-identified export.
  'admin:consents:read',
  'admin:consents:write',
  'admin:rights:read',
  'admin:rights:write',
  'admin:incidents:read',
  'admin:incidents:write',
  // Revoke a compromised client's credentials and tokens from an incident, at once.
  'admin:incidents:contain',
  'admin:exports:deidentified',
  // List admin users; disable one and end its sessions.
  'admin:admins:read',
  'admin:admins:write',
] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

export type Scope = PartnerScope | AdminScope;

export const PARTNER_TYPES = ['carrier', 'benefits_admin', 'membership_system', 'wellness_app'] as const;
export type PartnerType = (typeof PARTNER_TYPES)[number];

/**
 * Scopes a partner's client may be granted, by integration type. A carrier reads eligibility only
 * (projected to its categories); only the membership system writes through sync. The membership
 * system subscribes too: that is how changes made on our side go back to it (DESIGN §1.3).
 */
export const INTEGRATION_TYPE_SCOPES: Record<PartnerType, readonly PartnerScope[]> = {
  carrier: ['members.eligibility:read', 'changes:read', 'subscriptions:manage'],
  benefits_admin: ['members:read', 'members.preferences:write', 'changes:read', 'subscriptions:manage'],
  membership_system: ['sync:write', 'members:read', 'members:write', 'subscriptions:manage'],
  wellness_app: ['members:read', 'changes:read', 'subscriptions:manage'],
};

/** API keys exist for service-to-service callers that cannot do OAuth: sync writes only. */
export const API_KEY_SCOPES: readonly PartnerScope[] = ['sync:write'];

export const ADMIN_ROLES = ['compliance_officer', 'operator', 'security_admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export const ADMIN_ROLE_SCOPES: Record<AdminRole, readonly AdminScope[]> = {
  compliance_officer: [
    'admin:organizations:write',
    'admin:vendors:read',
    'admin:vendors:write',
    'admin:partners:read',
    'admin:partners:write',
    'admin:audit:read',
    'admin:alerts:read',
    'admin:alerts:write',
    'admin:members:read',
    'admin:reconciliation:read',
    'admin:reconciliation:write',
    'admin:partners:suspend',
    'admin:consents:read',
    'admin:consents:write',
    'admin:rights:read',
    'admin:rights:write',
    'admin:incidents:read',
    'admin:incidents:write',
    'admin:incidents:contain',
    'admin:exports:deidentified',
    'admin:admins:read',
  ],
  operator: ['admin:queues', 'admin:alerts:read', 'admin:partners:read', 'admin:vendors:read'],
  security_admin: [
    'admin:credentials:write',
    'admin:keys:rotate',
    'admin:partners:read',
    'admin:vendors:read',
    'admin:audit:read',
    'admin:alerts:read',
    'admin:alerts:write',
    'admin:queues',
    'admin:queues:write',
    'admin:partners:suspend',
    'admin:incidents:read',
    'admin:incidents:contain',
    'admin:admins:read',
    'admin:admins:write',
  ],
};

export function isAdminScope(scope: string): scope is AdminScope {
  return (ADMIN_SCOPES as readonly string[]).includes(scope);
}

export function isPartnerScope(scope: string): scope is PartnerScope {
  return (PARTNER_SCOPES as readonly string[]).includes(scope);
}
