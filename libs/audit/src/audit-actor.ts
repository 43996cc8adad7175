import { SERVED_METHODS, type Actor } from '@app/common';
import type { AuditRecord } from './audit.service';

// Methods recorded by name: the HTTP ones we serve, and CLI for commands. Anything else Node's
// parser lets through (UNSUBSCRIBE, MKCALENDAR...) is OTHER, so a caller's method never overflows the trail.
const CLI_METHOD = 'CLI';

// The audit_event column sizes: request facts are cut to fit, so an insert never fails on them.
const COLUMN = { ip: 45, userAgent: 256, route: 200 } as const;

/** The audited method: one of the known names, or OTHER. */
export function auditedMethod(method: string): string {
  const upper = method.toUpperCase();
  return SERVED_METHODS.has(upper) || upper === CLI_METHOD ? upper : 'OTHER';
}

/** The who/where part of an audit event, from the caller and its request. */
export function auditActor(
  actor: Actor,
): Pick<
  AuditRecord,
  | 'actorType'
  | 'actorId'
  | 'clientId'
  | 'partnerId'
  | 'ip'
  | 'userAgent'
  | 'method'
  | 'route'
  | 'requestId'
  | 'purpose'
  | 'auditState'
> {
  const { principal, request } = actor;
  const base = {
    ip: request.ip.slice(0, COLUMN.ip),
    userAgent: request.userAgent?.slice(0, COLUMN.userAgent) ?? null,
    method: auditedMethod(request.method),
    route: request.route.slice(0, COLUMN.route),
    requestId: request.requestId,
    auditState: request.auditState,
  };
  if (!principal)
    return { ...base, actorType: 'anonymous', actorId: null, clientId: null, partnerId: null, purpose: null };
  if (principal.kind === 'admin') {
    return {
      ...base,
      actorType: 'admin',
      actorId: principal.id,
      clientId: null,
      partnerId: null,
      purpose: null,
    };
  }
  return {
    ...base,
    actorType: principal.kind,
    actorId: principal.id,
    clientId: principal.kind === 'partner_client' ? principal.id : null,
    partnerId: principal.partnerId,
    purpose: principal.purpose,
  };
}
