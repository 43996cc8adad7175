import { type FieldSpec, MEMBER_FIELD_NAMES, MEMBER_FIELDS } from '../catalog/field-catalog';
import { valuesFromGroups } from '../projection';
import { SyntheticMemberGenerator } from '../synthetic/synthetic-member.generator';
import { birth, deidentifyMember, RESTRICTED_ZIP3, yearKey, yearOf, zip3 } from './safe-harbor';

const asOf = new Date('2026-11-30T12:00:00Z');
const context = { pseudonym: 'anon_TEST', asOf };
const specs: Record<string, FieldSpec> = MEMBER_FIELDS;

/** A full member in the API's groups, every catalog field set (synthetic, fixed seed). */
function fullMember() {
  const {
    sourceRef: _s,
    occurredAt: _o,
    ...groups
  } = new SyntheticMemberGenerator(7, {
    minDependents: 2,
  }).member(3);
  return groups;
}

describe('Safe Harbor rules in the field catalog', () => {
  it('gives every field a rule, and never keeps a field the catalog tags as an identifier', () => {
    const withoutRule = MEMBER_FIELD_NAMES.filter((f) => typeof specs[f].deidentify !== 'string');
    const identifiersKept = MEMBER_FIELD_NAMES.filter(
      (f) => specs[f].identifier !== 'none' && specs[f].deidentify === 'keep',
    );
    expect(withoutRule).toEqual([]);
    expect(identifiersKept).toEqual([]);
  });

  it.each([
    ['givenName', 'remove'],
    ['familyName', 'remove'],
    ['ssn', 'remove'],
    ['email', 'remove'],
    ['phone', 'remove'],
    ['externalMemberNumber', 'remove'],
    ['employerGroupId', 'remove'],
    ['dateOfBirth', 'birth_year'],
    ['effectiveDate', 'year'],
    ['terminationDate', 'year'],
    ['address', 'address'],
    ['dependents', 'dependents'],
    ['programs', 'programs'],
    ['sex', 'keep'],
    ['planCode', 'keep'],
  ] as const)('treats %s as %s', (field, rule) => {
    expect(MEMBER_FIELDS[field].deidentify).toBe(rule);
  });

  it('knows every property of a dependent and of a program enrolment (a new one needs a decision)', () => {
    const items = (field: 'dependents' | 'programs') =>
      Object.keys((MEMBER_FIELDS[field].schema.items as { properties: object }).properties).sort();
    expect(items('dependents')).toEqual(['dateOfBirth', 'familyName', 'givenName', 'relationship']);
    expect(items('programs')).toEqual(['enrolledAt', 'programCode', 'status']);
  });
});

describe('deidentifyMember', () => {
  const groups = fullMember();
  const sut = () =>
    deidentifyMember(
      { organizationId: 'org_A', status: 'active', values: valuesFromGroups(groups) },
      context,
    );

  it('keeps no name, SSN, e-mail, phone, member number, group id, street, city, ZIP-5 or full date', () => {
    const text = JSON.stringify(sut());
    const identifiers = [
      groups.identity.givenName,
      groups.identity.familyName,
      groups.identity.dateOfBirth,
      groups.governmentId.ssn,
      groups.governmentId.ssn.replace(/-/g, ''),
      groups.contact.email,
      groups.contact.phone,
      groups.contact.address.line1,
      groups.contact.address.city,
      groups.contact.address.postalCode,
      groups.membership.externalMemberNumber,
      groups.membership.employerGroupId,
      groups.coverage.effectiveDate,
      ...groups.dependents.flatMap((d) => [d.givenName, d.familyName, d.dateOfBirth]),
      ...groups.wellness.programs.map((p) => p.enrolledAt),
    ];
    for (const identifier of identifiers) expect(text).not.toContain(identifier);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('answers the de-identified shape: pseudonym, years, ZIP-3, kept codes, no empty groups', () => {
    const zip = groups.contact.address.postalCode.slice(0, 3);
    expect(sut()).toEqual({
      pseudonym: 'anon_TEST',
      organizationId: 'org_A',
      status: 'active',
      identity: {
        birthYear: Number(groups.identity.dateOfBirth.slice(0, 4)),
        ageBand: null,
        sex: groups.identity.sex,
      },
      contact: {
        address: {
          state: groups.contact.address.state,
          country: 'US',
          zip3: RESTRICTED_ZIP3.has(zip) ? '000' : zip,
        },
      },
      coverage: {
        planCode: groups.coverage.planCode,
        coverageTier: groups.coverage.coverageTier,
        effectiveYear: Number(groups.coverage.effectiveDate.slice(0, 4)),
        terminationYear: groups.coverage.terminationDate
          ? Number(groups.coverage.terminationDate.slice(0, 4))
          : null,
        status: groups.coverage.status,
      },
      dependents: groups.dependents.map((d) => ({
        relationship: d.relationship,
        birthYear: Number(d.dateOfBirth.slice(0, 4)),
        ageBand: null,
      })),
      wellness: {
        programs: groups.wellness.programs.map((p) => ({
          programCode: p.programCode,
          status: p.status,
          enrolledYear: Number(p.enrolledAt.slice(0, 4)),
        })),
      },
      preferences: groups.preferences,
    });
  });

  it('groups a member and a dependent over 89 into 90+ with no birth year', () => {
    const out = deidentifyMember(
      {
        organizationId: 'org_A',
        status: 'active',
        values: {
          dateOfBirth: '1931-05-02',
          dependents: [
            { givenName: 'A', familyName: 'B', dateOfBirth: '1934-01-09', relationship: 'spouse' },
          ],
        },
      },
      context,
    );
    expect(out.identity).toEqual({ birthYear: null, ageBand: '90+' });
    expect(out.dependents).toEqual([{ relationship: 'spouse', birthYear: null, ageBand: '90+' }]);
    expect(JSON.stringify(out)).not.toMatch(/193[14]/);
  });

  it('leaves out what the member does not have, and a group with nothing left', () => {
    expect(
      deidentifyMember(
        { organizationId: 'org_A', status: 'terminated', values: { ssn: '900-12-3456', planCode: 'PPO' } },
        context,
      ),
    ).toEqual({
      pseudonym: 'anon_TEST',
      organizationId: 'org_A',
      status: 'terminated',
      coverage: { planCode: 'PPO' },
    });
  });
});

describe('birth', () => {
  it.each([
    ['1980-02-29', { birthYear: 1980, ageBand: null }],
    ['1937-12-31', { birthYear: 1937, ageBand: null }],
    // 89 today but 90 before the year ends: the year alone would tell an age over 89.
    ['1936-12-31', { birthYear: null, ageBand: '90+' }],
    ['1936-01-01', { birthYear: null, ageBand: '90+' }],
    ['1920-06-15', { birthYear: null, ageBand: '90+' }],
    [null, { birthYear: null, ageBand: null }],
    ['not a date', { birthYear: null, ageBand: null }],
  ])('%s → %j', (value, expected) => {
    expect(birth(value, 2026)).toEqual(expected);
  });
});

describe('zip3', () => {
  it.each<[string | null, string | undefined, string | null]>([
    ['94110', 'US', '941'],
    ['94110-1234', 'US', '941'],
    ['10001', undefined, '100'],
    ...[...RESTRICTED_ZIP3].map((z): [string, string, string] => [`${z}42`, 'US', '000']),
    ['03601', 'US', '000'],
    ['SW1A 1AA', 'GB', null],
    ['12345', 'CA', null],
    ['9411', 'US', null],
    [null, 'US', null],
  ])('%s (%s) → %s', (postalCode, country, expected) => {
    expect(zip3(postalCode, country)).toBe(expected);
  });

  it('lists the 17 restricted ZIP-3 areas of 45 CFR 164.514(b)(2)(i)(B)', () => {
    expect(RESTRICTED_ZIP3.size).toBe(17);
  });
});

describe('yearOf and yearKey', () => {
  it.each([
    ['2021-03-01', 2021],
    ['2021-03-01T10:00:00Z', 2021],
    [null, null],
    [42, null],
  ])('yearOf(%j) → %j', (value, expected) => {
    expect(yearOf(value)).toBe(expected);
  });

  it.each([
    ['effectiveDate', 'effectiveYear'],
    ['terminationDate', 'terminationYear'],
    ['enrolledAt', 'enrolledYear'],
  ])('yearKey(%s) → %s', (key, expected) => {
    expect(yearKey(key)).toBe(expected);
  });
});
