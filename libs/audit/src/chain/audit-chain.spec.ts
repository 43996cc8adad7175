import { canonicalEvent, chainHash, GENESIS_HASH, type ChainedEvent } from './audit-chain';

const event: ChainedEvent = {
  seq: 1,
  occurredAt: new Date('2026-11-23T10:00:00.123Z'),
  actorType: 'partner_client',
  actorId: 'cli_A',
  clientId: 'cli_A',
  partnerId: 'prt_A',
  ip: '203.0.113.5',
  userAgent: 'agent',
  method: 'GET',
  route: '/api/v1/members/:memberId',
  action: 'member.read',
  resourceType: 'member',
  resourceIds: ['mbr_1'],
  purpose: 'operations',
  categories: ['identity'],
  outcome: 'success',
  statusCode: 200,
  reason: null,
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
};

describe('audit hash chain', () => {
  it('is deterministic', () => {
    expect(chainHash(GENESIS_HASH, event).equals(chainHash(GENESIS_HASH, { ...event }))).toBe(true);
  });

  it.each([
    ['a changed action', { action: 'member.list' }],
    ['another member', { resourceIds: ['mbr_2'] }],
    ['a later time', { occurredAt: new Date('2026-11-23T10:00:00.124Z') }],
    ['another position', { seq: 2 }],
    ['null instead of empty', { reason: '' }],
  ])('changes with %s', (_name, change) => {
    expect(chainHash(GENESIS_HASH, event).equals(chainHash(GENESIS_HASH, { ...event, ...change }))).toBe(
      false,
    );
  });

  it('cannot be fooled by moving text between adjacent fields', () => {
    const a = canonicalEvent({ ...event, actorId: 'ab', clientId: 'c' });
    const b = canonicalEvent({ ...event, actorId: 'a', clientId: 'bc' });
    expect(a.equals(b)).toBe(false);
    const c = canonicalEvent({ ...event, resourceIds: ['a,b'] });
    const d = canonicalEvent({ ...event, resourceIds: ['a', 'b'] });
    expect(c.equals(d)).toBe(false);
  });

  it('links each hash to the previous one', () => {
    const first = chainHash(GENESIS_HASH, event);
    const second = chainHash(first, { ...event, seq: 2 });
    expect(chainHash(Buffer.alloc(32, 1), { ...event, seq: 2 }).equals(second)).toBe(false);
  });
});
