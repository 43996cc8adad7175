import type { DataCategory } from '../data-categories';
import type { AdminRole, AdminScope, PartnerScope, PartnerType } from './scopes';

/** A partner integration calling with an OAuth client token or an API key. */
export interface PartnerPrincipal {
  kind: 'partner_client' | 'api_key';
  /** The client id or the API key id. */
  id: string;
  partnerId: string;
  partnerType: PartnerType;
  vendorId: string;
  organizationIds: readonly string[];
  categories: readonly DataCategory[];
  purpose: string;
  requiresConsent: boolean;
  scopes: ReadonlySet<PartnerScope>;
  tokenId?: string;
  /** Set for a member-scoped token (a wellness app acting for one member): its only object. */
  memberId?: string;
}

/** A workforce user (compliance officer, operator, security admin). */
export interface AdminPrincipal {
  kind: 'admin';
  id: string;
  role: AdminRole;
  scopes: ReadonlySet<AdminScope>;
  /** True only when the session was established with a second factor. */
  mfa: boolean;
  sessionId?: string;
  source: 'local' | 'oidc';
}

export type Principal = PartnerPrincipal | AdminPrincipal;

/** What every audited action knows about the request it came from. */
export interface RequestMeta {
  ip: string;
  userAgent?: string;
  method: string;
  route: string;
  requestId: string;
  /** Set once an audit event describes this request, so the request is audited exactly once. */
  auditState?: { audited: boolean };
}

export interface Actor {
  principal?: Principal;
  /** Set for actions started by the service itself (a CLI command, a job): who, as `cli:<command>`. */
  system?: string;
  request: RequestMeta;
}
