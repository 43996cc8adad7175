import type { ActorType, AuditOutcome } from './audit-event.entity';

/** What a caller says about an action. Never a field value, a body, a query-string value or a secret. */
export interface AuditRecord {
  actorType: ActorType;
  actorId?: string | null;
  clientId?: string | null;
  partnerId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  method?: string | null;
  route?: string | null;
  action: string;
  resourceType?: string | null;
  resourceIds?: string[] | null;
  purpose?: string | null;
  categories?: string[] | null;
  outcome: AuditOutcome;
  statusCode?: number | null;
  reason?: string | null;
  requestId?: string | null;
  occurredAt?: Date;
  /** The request's audit marker (not stored): set once the event has committed, so the request is not audited twice. */
  auditState?: { audited: boolean };
}
