/** An audit event as exported (no ePHI: ids, routes, outcomes). */
export interface ExportedEvent {
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  clientId: string | null;
  partnerId: string | null;
  ip: string | null;
  userAgent: string | null;
  method: string | null;
  route: string | null;
  action: string;
  resourceType: string | null;
  resourceIds: string[] | null;
  purpose: string | null;
  categories: string[] | null;
  outcome: string;
  statusCode: number | null;
  reason: string | null;
  requestId: string | null;
  hash: string | null;
}

export const EXPORT_FORMATS = ['ndjson', 'ecs', 'cef'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Elastic Common Schema field names (for Elastic / OpenSearch ingestion). */
export function toEcs(event: ExportedEvent): Record<string, unknown> {
  return {
    '@timestamp': event.occurredAt,
    event: {
      id: String(event.seq),
      action: event.action,
      outcome: event.outcome === 'success' ? 'success' : event.outcome === 'failure' ? 'failure' : 'unknown',
      category: ['iam'],
      reason: event.reason ?? undefined,
      hash: event.hash ?? undefined,
      provider: 'member-sync',
    },
    user: event.actorId ? { id: event.actorId, roles: [event.actorType] } : undefined,
    client: event.ip ? { ip: event.ip } : undefined,
    user_agent: event.userAgent ? { original: event.userAgent } : undefined,
    http: {
      request: event.method ? { method: event.method } : undefined,
      response: event.statusCode ? { status_code: event.statusCode } : undefined,
    },
    url: event.route ? { path: event.route } : undefined,
    trace: event.requestId ? { id: event.requestId } : undefined,
    labels: {
      client_id: event.clientId ?? undefined,
      partner_id: event.partnerId ?? undefined,
      resource_type: event.resourceType ?? undefined,
      purpose_of_use: event.purpose ?? undefined,
      data_categories: event.categories?.join(',') || undefined,
      resource_ids: event.resourceIds?.join(',') || undefined,
    },
  };
}

function cefHeader(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]/g, ' ');
}

function cefValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r?\n/g, '\\n');
}

/** ArcSight Common Event Format, one line per event. */
export function toCef(event: ExportedEvent): string {
  const severity = event.outcome === 'success' ? 3 : event.outcome === 'denied' ? 6 : 7;
  const extension: Array<[string, string | number | null]> = [
    ['rt', new Date(event.occurredAt).getTime()],
    ['externalId', event.seq],
    ['suser', event.actorId],
    ['src', event.ip],
    ['requestMethod', event.method],
    ['request', event.route],
    ['requestClientApplication', event.userAgent],
    ['outcome', event.outcome],
    ['reason', event.reason],
    ['cs1Label', 'resourceIds'],
    ['cs1', event.resourceIds?.join(',') ?? null],
    ['cs2Label', 'dataCategories'],
    ['cs2', event.categories?.join(',') ?? null],
    ['cs3Label', 'partnerId'],
    ['cs3', event.partnerId],
    ['cs4Label', 'requestId'],
    ['cs4', event.requestId],
    ['cn1Label', 'httpStatus'],
    ['cn1', event.statusCode],
  ];
  const ext = extension
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(' ');
  return `CEF:0|MemberSync|member-sync-api|1|${cefHeader(event.action)}|${cefHeader(event.action)}|${severity}|${ext}`;
}

export function formatLine(format: ExportFormat, event: ExportedEvent): string {
  switch (format) {
    case 'ndjson':
      return JSON.stringify(event);
    case 'ecs':
      return JSON.stringify(toEcs(event));
    case 'cef':
      return toCef(event);
  }
}
