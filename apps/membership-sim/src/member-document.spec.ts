import { SyntheticMemberGenerator } from '@app/members';
import { applyChanges, changedGroups, groupsOf, MEMBER_GROUP_NAMES } from './member-document';

const member = groupsOf(new SyntheticMemberGenerator(3, { minDependents: 1 }).member(0));

describe('member document', () => {
  it('lists the DESIGN §4 groups in catalog order', () => {
    expect(MEMBER_GROUP_NAMES).toEqual([
      'identity',
      'governmentId',
      'contact',
      'membership',
      'coverage',
      'dependents',
      'wellness',
      'preferences',
    ]);
  });

  it('keeps only the groups of a generated member', () => {
    expect(Object.keys(member).sort()).toEqual([...MEMBER_GROUP_NAMES].sort());
  });

  it('replaces the fields given and keeps the rest of their group', () => {
    const sut = applyChanges(member, { contact: { phone: '+15550000001' } });
    expect(sut.contact).toEqual({ ...member.contact, phone: '+15550000001' });
    expect(sut.identity).toBe(member.identity);
  });

  it('replaces an address as one field', () => {
    const address = {
      line1: '1 Test Way',
      line2: null,
      city: 'Springfield',
      state: 'IL',
      postalCode: '62701',
      country: 'US',
    };
    expect(applyChanges(member, { contact: { address } }).contact.address).toEqual(address);
  });

  it('replaces a list group whole', () => {
    expect(applyChanges(member, { dependents: [] }).dependents).toEqual([]);
    const programs = [{ programCode: 'SLEEP-BETTER', enrolledAt: '2026-01-02', status: 'active' as const }];
    expect(applyChanges(member, { wellness: { programs } }).wellness.programs).toEqual(programs);
  });

  it('does not change the document it was given', () => {
    const before = JSON.stringify(member);
    applyChanges(member, { identity: { familyName: 'Changed' }, dependents: [] });
    expect(JSON.stringify(member)).toBe(before);
  });

  it('names the groups a change touches, never its values', () => {
    expect(changedGroups({ dependents: [], contact: { phone: '+15550000001' } })).toEqual([
      'contact',
      'dependents',
    ]);
  });
});
