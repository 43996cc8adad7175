import { DATA_CATEGORIES } from '@app/common';
import { SyntheticMemberGenerator, type SyntheticMember } from '@app/members';
import { notificationLetter, type LetterFacts } from './notification-letter';

const FACTS: LetterFacts = {
  breachStart: new Date('2031-05-02T10:00:00Z'),
  breachEnd: new Date('2031-05-09T10:00:00Z'),
  discoveredAt: new Date('2031-05-10T08:00:00Z'),
  categories: [...DATA_CATEGORIES],
  containedAt: new Date('2031-05-10T09:00:00Z'),
  whatWeAreDoing: 'We revoked the credentials and are reviewing every partner integration.',
  contact: { phone: '1-800-555-0100', email: 'privacy@example.test' },
};

/** Every value the member holds except what a letter is addressed with, and enumerated codes (female, active…). */
function otherValues(member: SyntheticMember): string[] {
  const addressing = new Set([
    member.identity.givenName,
    member.identity.familyName,
    ...Object.values(member.contact.address).filter((v): v is string => typeof v === 'string'),
  ]);
  const values = [
    member.identity.dateOfBirth,
    member.governmentId.ssn,
    member.contact.email,
    member.contact.phone,
    member.membership.externalMemberNumber,
    member.membership.employerGroupId,
    member.coverage.planCode,
    member.coverage.effectiveDate,
    member.coverage.terminationDate,
    ...member.dependents.flatMap((d) => [d.givenName, d.familyName, d.dateOfBirth]),
    ...member.wellness.programs.flatMap((p) => [p.programCode, p.enrolledAt]),
  ];
  return values.filter((v): v is string => typeof v === 'string' && !addressing.has(v));
}

describe('notificationLetter', () => {
  const sut = notificationLetter;
  const members = new SyntheticMemberGenerator(20261201, { minDependents: 1 });

  it.each(Array.from({ length: 50 }, (_, i) => i))(
    'addresses member %d by name and mailing address and carries none of its other values',
    (i) => {
      const member = members.member(i);
      const letter = JSON.stringify(
        sut({ memberId: 'mbr_X', ...member.identity, address: member.contact.address }, FACTS),
      );
      // Positive control: what the letter must carry is there, so the absences below mean something.
      expect(letter).toContain(member.identity.givenName);
      expect(letter).toContain(member.contact.address.line1);
      expect(letter).toContain(member.contact.address.postalCode);
      for (const value of otherValues(member)) expect(letter).not.toContain(value);
      const ssnDigits = member.governmentId.ssn.replace(/-/g, '');
      expect(letter.replace(/-/g, '')).not.toContain(ssnDigits);
    },
  );

  it('states the dates, the kinds of information, the steps to take and how to reach us (§164.404(c))', () => {
    const member = members.member(0);
    const letter = sut(
      { memberId: 'mbr_X', ...member.identity, address: member.contact.address },
      { ...FACTS, categories: ['government_id', 'coverage'] },
    );
    expect(letter.whatHappened).toContain('between 2031-05-02 and 2031-05-09');
    expect(letter.whatHappened).toContain('discovered this on 2031-05-10');
    expect(letter.informationInvolved).toEqual([
      'your Social Security number',
      'your health plan and coverage dates',
    ]);
    expect(letter.whatYouCanDo.join(' ')).toMatch(/fraud alert/);
    expect(letter.whatWeAreDoing).toBe(FACTS.whatWeAreDoing);
    expect(letter.forMoreInformation).toEqual([
      'Call us toll-free at 1-800-555-0100.',
      'Email us at privacy@example.test.',
    ]);
  });
});
