import type { ChainedEvent } from './audit-chain';

/** An audit_event row as node-postgres returns it. */
export interface AuditRow {
  seq: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  client_id: string | null;
  partner_id: string | null;
  ip: string | null;
  user_agent: string | null;
  method: string | null;
  route: string | null;
  action: string;
  resource_type: string | null;
  resource_ids: string[] | null;
  purpose: string | null;
  categories: string[] | null;
  outcome: string;
  status_code: number | null;
  reason: string | null;
  request_id: string | null;
  hash: Buffer | null;
}

export const AUDIT_ROW_COLUMNS = `seq, occurred_at, actor_type, actor_id, client_id, partner_id, ip, user_agent, method, route,
  action, resource_type, resource_ids, purpose, categories, outcome, status_code, reason, request_id, hash`;

/** The chained fields of a stored row, exactly as they were hashed. */
export function chainedFromRow(row: AuditRow): ChainedEvent {
  return {
    seq: Number(row.seq),
    occurredAt: new Date(row.occurred_at),
    actorType: row.actor_type,
    actorId: row.actor_id,
    clientId: row.client_id,
    partnerId: row.partner_id,
    ip: row.ip,
    userAgent: row.user_agent,
    method: row.method,
    route: row.route,
    action: row.action,
    resourceType: row.resource_type,
    resourceIds: row.resource_ids,
    purpose: row.purpose,
    categories: row.categories,
    outcome: row.outcome,
    statusCode: row.status_code,
    reason: row.reason,
    requestId: row.request_id,
  };
}
