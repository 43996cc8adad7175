import { FHIR_SYSTEMS, memberFhirBundle, type MemberDocument } from './fhir-bundle';

const member: MemberDocument = {
  id: 'mbr_01JD3Q4Z5X6C7V8B9N0M1K2J3H',
  organizationId: 'org_01JD3Q4Z5X6C7V8B9N0M1K2J3H',
  identity: { givenName: 'Synthetic', familyName: 'Person', dateOfBirth: '1980-02-29', sex: 'female' },
  governmentId: { ssn: '900-00-0001' },
  contact: {
    email: 'synthetic@example.test',
    phone: '+15550000001',
    address: {
      line1: '1 Test Way',
      line2: null,
      city: 'Testville',
      state: 'CA',
      postalCode: '94110',
      country: 'US',
    },
  },
  membership: { externalMemberNumber: 'M-0001', employerGroupId: 'G-7' },
  coverage: {
    planCode: 'PPO-1',
    coverageTier: 'employee',
    effectiveDate: '2026-01-01',
    terminationDate: null,
    status: 'terminated',
  },
};

function uuids() {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

// FHIR JSON walked by path in assertions; the shape is what the test checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('member FHIR R4 bundle', () => {
  const sut = (m: MemberDocument): Json =>
    memberFhirBundle(m, { generatedAt: new Date('2026-12-01T10:00:00Z'), newUuid: uuids() });

  it('is a collection Bundle whose entries have urn:uuid fullUrls matching their resources', () => {
    const bundle = sut(member);
    expect(bundle).toMatchObject({
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: '2026-12-01T10:00:00.000Z',
    });
    expect(bundle.entry.map((e: Json) => e.resource.resourceType)).toEqual(['Patient', 'Coverage']);
    for (const entry of bundle.entry) {
      expect(entry.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(entry.fullUrl).toBe(`urn:uuid:${entry.resource.id}`);
    }
  });

  it('maps the Patient: name, birthDate, gender, telecom, address, member number and SSN identifiers', () => {
    const patient = sut(member).entry[0].resource;
    expect(patient.name).toEqual([{ use: 'official', family: 'Person', given: ['Synthetic'] }]);
    expect(patient).toMatchObject({ birthDate: '1980-02-29', gender: 'female' });
    expect(patient.telecom).toEqual([
      { system: 'email', value: 'synthetic@example.test', use: 'home' },
      { system: 'phone', value: '+15550000001', use: 'mobile' },
    ]);
    expect(patient.address).toEqual([
      {
        use: 'home',
        line: ['1 Test Way'],
        city: 'Testville',
        state: 'CA',
        postalCode: '94110',
        country: 'US',
      },
    ]);
    const bySystem = Object.fromEntries(patient.identifier.map((i: Json) => [i.system, i]));
    expect(bySystem[FHIR_SYSTEMS.memberNumber]).toMatchObject({
      value: 'M-0001',
      type: { coding: [{ code: 'MB' }] },
    });
    expect(bySystem[FHIR_SYSTEMS.ssn]).toMatchObject({
      value: '900-00-0001',
      type: { coding: [{ code: 'SS' }] },
    });
  });

  it('maps Coverage with the R4 required status, beneficiary and payor, the plan class and period', () => {
    const bundle = sut(member);
    const coverage = bundle.entry[1].resource;
    expect(coverage.status).toBe('cancelled');
    expect(coverage.beneficiary).toEqual({ reference: bundle.entry[0].fullUrl });
    expect(coverage.payor).toHaveLength(1);
    expect(coverage.payor[0].identifier).toMatchObject({ value: member.organizationId });
    expect(coverage.relationship.coding[0]).toMatchObject({ code: 'self' });
    expect(coverage.period).toEqual({ start: '2026-01-01' });
    expect(coverage.class).toEqual([
      { type: { coding: [{ system: FHIR_SYSTEMS.coverageClass, code: 'plan' }] }, value: 'PPO-1' },
      { type: { coding: [{ system: FHIR_SYSTEMS.coverageClass, code: 'group' }] }, value: 'G-7' },
    ]);
  });

  it.each<[string | undefined, string]>([
    ['active', 'active'],
    ['pending', 'draft'],
    ['terminated', 'cancelled'],
    [undefined, 'active'],
  ])('coverage status %s is Coverage.status %s', (status, expected) => {
    const bundle = sut({ ...member, coverage: { ...member.coverage, status } });
    expect(bundle.entry[1].resource.status).toBe(expected);
  });

  it('has no Coverage (and no empty elements) for a member with identity only', () => {
    const bundle = sut({
      id: member.id,
      organizationId: member.organizationId,
      identity: { familyName: 'Person' },
    });
    expect(bundle.entry).toHaveLength(1);
    expect(bundle.entry[0].resource).toEqual({
      resourceType: 'Patient',
      id: expect.any(String),
      identifier: [{ system: FHIR_SYSTEMS.memberId, value: member.id }],
      name: [{ use: 'official', family: 'Person' }],
    });
  });
});
