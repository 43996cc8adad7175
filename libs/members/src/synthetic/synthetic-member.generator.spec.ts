import { CREATE_MEMBER_SCHEMA } from '../catalog/member-schema';
import { compileValidator } from '../catalog/schema-validator';
import { SyntheticMemberGenerator, type SyntheticMember } from './synthetic-member.generator';

const validateCreate = compileValidator(CREATE_MEMBER_SCHEMA);
const AS_OF = Date.parse('2026-11-01T00:00:00Z');

function ageOn(dateOfBirth: string, at = AS_OF): number {
  return (at - Date.parse(dateOfBirth)) / (365.25 * 86_400_000);
}

describe('SyntheticMemberGenerator', () => {
  const sut = new SyntheticMemberGenerator(20261123);
  const sample: SyntheticMember[] = [...sut.members(0, 2000)];

  it('yields the same member for the same seed and index, on its own or in a run', () => {
    const again = new SyntheticMemberGenerator(20261123);
    expect(again.member(1234)).toEqual(sample[1234]);
    expect([...again.members(10, 3)]).toEqual(sample.slice(10, 13));
  });

  it('yields different members for another seed', () => {
    const other = new SyntheticMemberGenerator(20261124);
    expect(other.member(0).identity).not.toEqual(sample[0].identity);
    expect(other.member(0).governmentId.ssn).not.toBe(sample[0].governmentId.ssn);
  });

  it('produces bodies the create endpoint accepts', () => {
    for (const member of sample) {
      expect(() =>
        validateCreate({ eventId: 'evt-1', organizationId: 'org_01J00000000000000000000000', ...member }),
      ).not.toThrow();
    }
  });

  it('uses only never-issued SSNs, example.test e-mail and 555 phone numbers', () => {
    for (const { governmentId, contact } of sample) {
      expect(governmentId.ssn).toMatch(/^9\d\d-(?!00)\d\d-(?!0000)\d{4}$/);
      expect(contact.email).toMatch(/^[a-z]+\.[a-z]+\d{1,4}@example\.test$/);
      expect(contact.phone).toMatch(/^\+1555\d{7}$/);
    }
    expect(new Set(sample.map((m) => m.governmentId.ssn)).size).toBeGreaterThan(1990);
  });

  it.each([
    [[], 'employee'],
    [['spouse'], 'employee_spouse'],
    [['child'], 'employee_children'],
    [['child', 'spouse'], 'family'],
  ])('gives households with dependents %j %s coverage', (kinds, tier) => {
    const households = sample.filter(
      (m) =>
        [...new Set(m.dependents.map((d) => (d.relationship === 'child' ? 'child' : 'spouse')))]
          .sort()
          .join() === kinds.join(),
    );
    expect(households.length).toBeGreaterThan(100);
    for (const m of households) expect(m.coverage.coverageTier).toBe(tier);
  });

  it('builds plausible households: at most four dependents, one partner, children born after the subscriber turned 18', () => {
    for (const m of sample) {
      const subscriberAge = ageOn(m.identity.dateOfBirth);
      expect(subscriberAge).toBeGreaterThanOrEqual(22);
      expect(subscriberAge).toBeLessThan(67);
      expect(m.dependents.length).toBeLessThanOrEqual(4);
      expect(m.dependents.filter((d) => d.relationship !== 'child').length).toBeLessThanOrEqual(1);
      for (const d of m.dependents) {
        const age = ageOn(d.dateOfBirth);
        if (d.relationship === 'child') {
          expect(age).toBeLessThan(26);
          expect(subscriberAge - age).toBeGreaterThanOrEqual(17);
          expect(d.familyName).toBe(m.identity.familyName);
        } else {
          expect(age).toBeGreaterThanOrEqual(18);
        }
      }
    }
  });

  it('keeps coverage and wellness dates consistent with the coverage status', () => {
    for (const { coverage, wellness, occurredAt } of sample) {
      expect(Date.parse(occurredAt)).toBeLessThanOrEqual(AS_OF);
      expect(coverage.effectiveDate.endsWith('-01')).toBe(true);
      if (coverage.status === 'pending') {
        expect(Date.parse(coverage.effectiveDate)).toBeGreaterThan(AS_OF);
        expect(wellness.programs).toEqual([]);
      } else {
        expect(Date.parse(coverage.effectiveDate)).toBeLessThanOrEqual(AS_OF);
      }
      expect(coverage.terminationDate === null).toBe(coverage.status !== 'terminated');
      if (coverage.terminationDate) {
        expect(coverage.terminationDate > coverage.effectiveDate).toBe(true);
      }
      for (const program of wellness.programs) {
        expect(program.enrolledAt >= coverage.effectiveDate).toBe(true);
        if (coverage.terminationDate) expect(program.enrolledAt <= coverage.terminationDate).toBe(true);
      }
    }
  });

  it('gives every household a dependent when asked to', () => {
    const withDependents = new SyntheticMemberGenerator(7, { minDependents: 1 });
    for (const m of withDependents.members(0, 300)) expect(m.dependents.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a negative or fractional seed', () => {
    expect(() => new SyntheticMemberGenerator(-1)).toThrow(RangeError);
    expect(() => new SyntheticMemberGenerator(1.5)).toThrow(RangeError);
  });
});
