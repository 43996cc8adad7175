import type { MemberChangeEvent, MemberField } from '@app/members';
import { categoriesOf, deliveryJobOf, outboxEntryOf } from './outbox-entry';

describe('outbox entries', () => {
  it.each<[string, MemberField[], string[]]>([
    ['no field', [], []],
    ['one identity field', ['givenName'], ['identity']],
    ['two fields of one category, once', ['givenName', 'dateOfBirth'], ['identity']],
    [
      'fields out of order, in catalog order',
      ['channel', 'ssn', 'planCode'],
      ['government_id', 'coverage', 'preferences'],
    ],
    ['list fields', ['dependents', 'programs'], ['dependents', 'wellness']],
  ])('names the categories of %s', (_case, fields, expected) => {
    expect(categoriesOf(fields)).toEqual(expected);
  });

  const change: MemberChangeEvent = {
    kind: 'updated',
    memberId: 'mbr_00000000000000000000000001',
    organizationId: 'org_00000000000000000000000001',
    version: 7,
    fields: ['email', 'givenName'],
    sender: 'prt_00000000000000000000000001',
    occurredAt: new Date('2026-11-30T10:00:00.000Z'),
    recordedAt: new Date('2026-11-30T10:00:01.000Z'),
  };

  it('records the change in ids, version, kind and categories: never a field name or value', () => {
    const sut = outboxEntryOf('obx_00000000000000000000000001', change);
    expect(sut).toEqual({
      id: 'obx_00000000000000000000000001',
      topic: 'member.changed',
      memberId: change.memberId,
      organizationId: change.organizationId,
      version: 7,
      kind: 'updated',
      categories: ['identity', 'contact'],
      sender: change.sender,
      occurredAt: change.occurredAt,
      createdAt: change.recordedAt,
    });
    expect(JSON.stringify(sut)).not.toMatch(/email|givenName/);
  });

  it('makes the delivery job payload from the row, keyed by the outbox id', () => {
    const sut = deliveryJobOf(outboxEntryOf('obx_00000000000000000000000002', change));
    expect(sut).toEqual({
      outboxId: 'obx_00000000000000000000000002',
      topic: 'member.changed',
      memberId: change.memberId,
      organizationId: change.organizationId,
      version: 7,
      kind: 'updated',
      categories: ['identity', 'contact'],
      sender: change.sender,
      occurredAt: '2026-11-30T10:00:00.000Z',
    });
  });
});
