import type { Actor } from '@app/common';
import type { AuditRecord } from './audit.service';

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
    ip: request.ip,
    userAgent: request.userAgent ?? null,
    method: request.method,
    route: request.route,
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
