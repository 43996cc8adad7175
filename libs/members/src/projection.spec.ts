import { DATA_CATEGORIES, type PartnerScope } from '@app/common';
import { projectMember, readableCategories, valuesFromGroups, type MemberRecord } from './projection';

const scopes = (...s: PartnerScope[]) => new Set<PartnerScope>(s);

describe('readableCategories (minimum necessary)', () => {
  it.each([
    [
      'full read, everything registered and contracted',
      scopes('members:read'),
      DATA_CATEGORIES,
      DATA_CATEGORIES,
      [...DATA_CATEGORIES],
    ],
    [
      'a carrier token: eligibility only',
      scopes('members.eligibility:read'),
      DATA_CATEGORIES,
      DATA_CATEGORIES,
      ['identity', 'membership', 'coverage'],
    ],
    [
      'a BAA without government_id',
      scopes('members:read'),
      DATA_CATEGORIES,
      DATA_CATEGORIES.filter((c) => c !== 'government_id'),
      DATA_CATEGORIES.filter((c) => c !== 'government_id'),
    ],
    [
      'a partner registered for contact only',
      scopes('members:read'),
      ['contact'],
      DATA_CATEGORIES,
      ['contact'],
    ],
    ['a write-only token', scopes('members.preferences:write'), DATA_CATEGORIES, DATA_CATEGORIES, []],
    ['no BAA in effect', scopes('members:read'), DATA_CATEGORIES, [], []],
  ] as const)('%s', (_name, held, partner, baa, expected) => {
    expect(readableCategories(held, partner, baa)).toEqual(expected);
  });
});

describe('projectMember', () => {
  const member: MemberRecord = {
    id: 'mbr_A',
    organizationId: 'org_A',
    version: 3,
    status: 'active',
    updatedAt: '2026-11-23T10:00:00.000Z',
    values: valuesFromGroups({
      identity: { givenName: 'Synthetic', familyName: 'Person', dateOfBirth: '1980-02-29', sex: 'female' },
      governmentId: { ssn: '900-00-0001' },
      contact: { email: 'synthetic@example.test' },
      coverage: { planCode: 'PLAN-1', status: 'active', terminationDate: null },
      dependents: [
        { givenName: 'Kid', familyName: 'Person', dateOfBirth: '2015-05-05', relationship: 'child' },
      ],
      preferences: { channel: 'email', language: 'en', marketingOptIn: false },
    }),
  };

  it('keeps only permitted groups, leaving no trace of the others', () => {
    const sut = projectMember(member, ['identity', 'coverage']);
    expect(Object.keys(sut).sort()).toEqual([
      'coverage',
      'id',
      'identity',
      'organizationId',
      'status',
      'updatedAt',
      'version',
    ]);
    expect(JSON.stringify(sut)).not.toContain('900-00-0001');
    expect(JSON.stringify(sut)).not.toContain('synthetic@example.test');
  });

  it('rebuilds groups in the contract shape, including list groups and explicit nulls', () => {
    const sut = projectMember(member, ['coverage', 'dependents', 'preferences']);
    expect(sut.coverage).toEqual({ planCode: 'PLAN-1', status: 'active', terminationDate: null });
    expect(sut.dependents).toEqual([
      { givenName: 'Kid', familyName: 'Person', dateOfBirth: '2015-05-05', relationship: 'child' },
    ]);
    expect(sut.preferences).toEqual({ channel: 'email', language: 'en', marketingOptIn: false });
  });

  it('omits a permitted group the member has no values for', () => {
    expect(projectMember(member, ['wellness'])).not.toHaveProperty('wellness');
  });
});
