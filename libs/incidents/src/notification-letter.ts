import type { DataCategory } from '@app/common';

/** What a letter is addressed with: the member's name and mailing address, nothing else (minimum necessary). */
export interface LetterAddressee {
  memberId: string;
  givenName: string;
  familyName: string;
  address: {
    line1: string;
    line2?: string | null;
    city: string;
    state: string;
    postalCode: string;
    country: string;
  };
}

/** How individuals reach us (§164.404(c)(1)(E)): at least one of these, set by the officer. */
export interface NoticeContact {
  phone?: string;
  email?: string;
  website?: string;
  postalAddress?: string;
}

/** The incident's facts a letter states; the same for every letter of an incident. */
export interface LetterFacts {
  breachStart: Date | null;
  breachEnd: Date | null;
  discoveredAt: Date;
  categories: readonly DataCategory[];
  containedAt: Date | null;
  whatWeAreDoing: string;
  contact: NoticeContact;
}

export interface NotificationLetter {
  memberId: string;
  addressee: { name: string; address: string[] };
  subject: string;
  whatHappened: string;
  informationInvolved: string[];
  whatYouCanDo: string[];
  whatWeAreDoing: string;
  forMoreInformation: string[];
}

/** The kinds of information involved, in words a member reads (§164.404(c)(1)(B)): names of kinds, never values. */
const CATEGORY_WORDS: Record<DataCategory, string> = {
  identity: 'your name, date of birth and sex',
  government_id: 'your Social Security number',
  contact: 'your email address, telephone number and mailing address',
  membership: 'your member number and employer group',
  coverage: 'your health plan and coverage dates',
  dependents: 'the names and dates of birth of your dependents',
  wellness: 'the wellness programs you are enrolled in',
  preferences: 'your communication preferences',
};

/** Steps the individual should take to protect themselves (§164.404(c)(1)(C)), by kind of information. */
const STEPS: Partial<Record<DataCategory, string>> = {
  government_id:
    'Place a free fraud alert or security freeze with the nationwide credit bureaus and review your credit reports at annualcreditreport.com.',
  contact:
    'Be cautious of emails, calls or letters asking for personal information; we will never ask you for a password or your Social Security number.',
  membership:
    'Review the explanation of benefits statements from your health plan and report any service you did not receive.',
  coverage:
    'Review the explanation of benefits statements from your health plan and report any service you did not receive.',
};
const ALWAYS = 'Keep this letter for your records.';

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * One individual notice with what §164.404(c) requires. It names the individual and their mailing
 * address only: the other information involved is described by kind, never by value.
 */
export function notificationLetter(addressee: LetterAddressee, facts: LetterFacts): NotificationLetter {
  const { address } = addressee;
  const when =
    facts.breachStart && facts.breachEnd
      ? `between ${day(facts.breachStart)} and ${day(facts.breachEnd)}`
      : facts.breachEnd
        ? `on or before ${day(facts.breachEnd)}`
        : 'on dates we are still establishing';
  const containment = facts.containedAt ? ` We stopped the access on ${day(facts.containedAt)}.` : '';
  const steps = [...new Set(facts.categories.map((c) => STEPS[c]).filter((s): s is string => !!s))];
  const contact = facts.contact;
  return {
    memberId: addressee.memberId,
    addressee: {
      name: `${addressee.givenName} ${addressee.familyName}`,
      address: [
        address.line1,
        ...(address.line2 ? [address.line2] : []),
        `${address.city}, ${address.state} ${address.postalCode}`,
        address.country,
      ],
    },
    subject: 'Notice of a breach of your health information',
    whatHappened:
      `An unauthorized party used a partner integration's credentials to access member records ${when}. ` +
      `We discovered this on ${day(facts.discoveredAt)}.${containment}`,
    informationInvolved: facts.categories.map((c) => CATEGORY_WORDS[c]),
    whatYouCanDo: [...steps, ALWAYS],
    whatWeAreDoing: facts.whatWeAreDoing,
    forMoreInformation: [
      ...(contact.phone ? [`Call us toll-free at ${contact.phone}.`] : []),
      ...(contact.email ? [`Email us at ${contact.email}.`] : []),
      ...(contact.website ? [`Visit ${contact.website}.`] : []),
      ...(contact.postalAddress ? [`Write to us at ${contact.postalAddress}.`] : []),
    ],
  };
}
