import type { FeedChange } from '@app/members';
import { changeFeedEntryOf } from './change-feed-entry';

const member = { id: 'mbr_01', organizationId: 'org_01', version: 3, status: 'active', updatedAt: 'x' };
const change = (kind: FeedChange['kind'], present: boolean): FeedChange => ({
  kind,
  memberId: 'mbr_01',
  version: 2,
  occurredAt: '2026-11-30T08:00:00.000Z',
  categories: present ? ['identity'] : [],
  member: present ? member : null,
});

describe('changeFeedEntryOf', () => {
  it.each<[string, FeedChange, string]>([
    ['a create of a live member', change('created', true), 'member.created'],
    ['an update of a live member', change('updated', true), 'member.updated'],
    ['a deletion', change('deleted', false), 'member.deleted'],
    ['a create of a member deleted since', change('created', false), 'member.deleted'],
    ['an update of a member deleted since', change('updated', false), 'member.deleted'],
  ])('types %s as %s', (_name, input, type) => {
    expect(changeFeedEntryOf(input).type).toBe(type);
  });

  it("keeps the change's version and the member's current projection side by side", () => {
    expect(changeFeedEntryOf(change('updated', true))).toEqual({
      type: 'member.updated',
      memberId: 'mbr_01',
      version: 2,
      occurredAt: '2026-11-30T08:00:00.000Z',
      categories: ['identity'],
      data: member,
    });
  });

  it('carries null data for a member that is gone', () => {
    expect(changeFeedEntryOf(change('deleted', false)).data).toBeNull();
  });
});
