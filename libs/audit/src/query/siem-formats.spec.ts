import { formatLine, toCef, toEcs, type ExportedEvent } from './siem-formats';

const event: ExportedEvent = {
  seq: 42,
  occurredAt: '2026-11-23T10:00:00.000Z',
  actorType: 'partner_client',
  actorId: 'cli_A',
  clientId: 'cli_A',
  partnerId: 'prt_A',
  ip: '203.0.113.5',
  userAgent: 'agent|with=odd\\chars',
  method: 'GET',
  route: '/api/v1/members/:memberId',
  action: 'member.read',
  resourceType: 'member',
  resourceIds: ['mbr_1'],
  purpose: 'operations',
  categories: ['identity', 'coverage'],
  outcome: 'success',
  statusCode: 200,
  reason: null,
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  hash: 'ab',
};

describe('SIEM export formats', () => {
  it('maps to ECS field names', () => {
    expect(toEcs(event)).toMatchObject({
      '@timestamp': '2026-11-23T10:00:00.000Z',
      event: { id: '42', action: 'member.read', outcome: 'success' },
      client: { ip: '203.0.113.5' },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      url: { path: '/api/v1/members/:memberId' },
      labels: { data_categories: 'identity,coverage', resource_ids: 'mbr_1' },
    });
  });

  it('writes one CEF line with escaped extension values', () => {
    const line = toCef(event);
    expect(line.startsWith('CEF:0|MemberSync|member-sync-api|1|member.read|member.read|3|')).toBe(true);
    expect(line).toContain('requestClientApplication=agent|with\\=odd\\\\chars');
    expect(line).toContain('cs1=mbr_1');
    expect(line).not.toContain('\n');
  });

  it('writes NDJSON as the event itself', () => {
    expect(JSON.parse(formatLine('ndjson', event))).toEqual(event);
  });
});
