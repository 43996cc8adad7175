import { en, Faker } from '@faker-js/faker';

export type SyntheticSex = 'female' | 'male' | 'other' | 'unknown';
export type CoverageTier = 'employee' | 'employee_spouse' | 'employee_children' | 'family';
export type CoverageStatus = 'active' | 'pending' | 'terminated';

export interface SyntheticDependent {
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  relationship: 'spouse' | 'domestic_partner' | 'child';
}

export interface SyntheticProgram {
  programCode: string;
  enrolledAt: string;
  status: 'active' | 'completed' | 'withdrawn';
}

/** One member as the membership system would send it (the groups of POST /api/v1/members). */
export type SyntheticMember = {
  sourceRef: string;
  occurredAt: string;
  identity: { givenName: string; familyName: string; dateOfBirth: string; sex: SyntheticSex };
  governmentId: { ssn: string };
  contact: {
    email: string;
    phone: string;
    address: {
      line1: string;
      line2: string | null;
      city: string;
      state: string;
      postalCode: string;
      country: string;
    };
  };
  membership: { externalMemberNumber: string; employerGroupId: string };
  coverage: {
    planCode: string;
    coverageTier: CoverageTier;
    effectiveDate: string;
    terminationDate: string | null;
    status: CoverageStatus;
  };
  dependents: SyntheticDependent[];
  wellness: { programs: SyntheticProgram[] };
  preferences: { channel: 'email' | 'sms' | 'mail' | 'none'; language: string; marketingOptIn: boolean };
};

export interface SyntheticMemberOptions {
  /** The day ages and coverage dates are relative to; fixed so a seed yields the same members on any day. */
  asOf?: string;
  /** At least this many dependents per household (fixtures that need a dependent to look at). */
  minDependents?: number;
}

type Household = 'single' | 'couple' | 'single_parent' | 'family';

const DEFAULT_AS_OF = '2026-11-01';
const DAY_MS = 86_400_000;
const EMPLOYER_GROUPS_PER_SEED = 12;

/** Share of subscribers per household shape, and the fewest dependents each shape has. */
const HOUSEHOLDS: ReadonlyArray<{ weight: number; value: Household; dependents: number }> = [
  { weight: 40, value: 'single', dependents: 0 },
  { weight: 20, value: 'couple', dependents: 1 },
  { weight: 12, value: 'single_parent', dependents: 1 },
  { weight: 28, value: 'family', dependents: 2 },
];

const PLANS = [
  { weight: 30, value: 'PPO-GOLD' },
  { weight: 20, value: 'PPO-SILVER' },
  { weight: 20, value: 'HMO-STANDARD' },
  { weight: 20, value: 'HDHP-HSA' },
  { weight: 10, value: 'EPO-PLUS' },
];

/** Wellness programs and who they are offered to (age in years, sex). */
const PROGRAMS: ReadonlyArray<{ code: string; minAge: number; maxAge: number; sex?: SyntheticSex }> = [
  { code: 'STEPS-CHALLENGE', minAge: 18, maxAge: 120 },
  { code: 'DIABETES-PREVENTION', minAge: 35, maxAge: 120 },
  { code: 'TOBACCO-FREE', minAge: 18, maxAge: 120 },
  { code: 'WEIGHT-WELLNESS', minAge: 18, maxAge: 120 },
  { code: 'SLEEP-BETTER', minAge: 18, maxAge: 120 },
  { code: 'MINDFUL-MINUTES', minAge: 18, maxAge: 120 },
  { code: 'HEART-HEALTH', minAge: 40, maxAge: 120 },
  { code: 'HEALTHY-PREGNANCY', minAge: 18, maxAge: 45, sex: 'female' },
];

const LANGUAGES = [
  { weight: 78, value: 'en' },
  { weight: 14, value: 'es' },
  { weight: 2, value: 'zh' },
  { weight: 2, value: 'vi' },
  { weight: 2, value: 'ko' },
  { weight: 2, value: 'fr' },
];

const CHANNELS = [
  { weight: 50, value: 'email' as const },
  { weight: 25, value: 'sms' as const },
  { weight: 15, value: 'mail' as const },
  { weight: 10, value: 'none' as const },
];

/**
 * Synthetic members with realistic households, for seeding and test fixtures. Member `index` of
 * `seed` is always the same member (the faker instance is re-seeded with `[seed, index]`), so any
 * member can be regenerated alone. Every identifier is unmistakably fake: SSNs in the never-issued
 * 900–999 area, e-mail at example.test, phone numbers in the fictional 555 exchange.
 */
export class SyntheticMemberGenerator {
  private readonly faker = new Faker({ locale: [en] });
  private readonly asOf: Date;
  private readonly households: typeof HOUSEHOLDS;
  private readonly employerGroups: string[];

  constructor(
    readonly seed: number,
    options: SyntheticMemberOptions = {},
  ) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative integer');
    this.asOf = new Date(`${options.asOf ?? DEFAULT_AS_OF}T00:00:00Z`);
    this.faker.setDefaultRefDate(this.asOf);
    this.households = HOUSEHOLDS.filter((h) => h.dependents >= (options.minDependents ?? 0));
    if (this.households.length === 0) throw new RangeError('minDependents is more than any household has');
    // An organization's members share a handful of employer groups.
    this.faker.seed([seed]);
    this.employerGroups = Array.from(
      { length: EMPLOYER_GROUPS_PER_SEED },
      () => `GRP-${this.faker.string.numeric({ length: 5, allowLeadingZeros: false })}`,
    );
  }

  member(index: number): SyntheticMember {
    if (!Number.isSafeInteger(index) || index < 0)
      throw new RangeError('index must be a non-negative integer');
    const f = this.faker;
    f.seed([this.seed, index]);

    const sex = f.helpers.weightedArrayElement<SyntheticSex>([
      { weight: 49, value: 'female' },
      { weight: 49, value: 'male' },
      { weight: 1, value: 'other' },
      { weight: 1, value: 'unknown' },
    ]);
    const nameSex =
      sex === 'female' || sex === 'male' ? sex : f.helpers.arrayElement(['female', 'male'] as const);
    const givenName = f.person.firstName(nameSex);
    const familyName = f.person.lastName();
    const age = f.number.int({ min: 22, max: 66 });

    const dependents = this.household(age, nameSex, familyName);
    const hasSpouse = dependents.some((d) => d.relationship !== 'child');
    const hasChildren = dependents.some((d) => d.relationship === 'child');
    const coverage = this.coverage(hasSpouse, hasChildren);

    return {
      sourceRef: `synthetic-${this.seed}-${index}`,
      occurredAt: this.occurredAt(coverage.effectiveDate),
      identity: { givenName, familyName, dateOfBirth: this.birthDate(age), sex },
      governmentId: { ssn: this.ssn() },
      contact: {
        email: `${nameLetters(givenName)}.${nameLetters(familyName)}${f.number.int({ min: 1, max: 9999 })}@example.test`,
        phone: syntheticPhone(f),
        address: syntheticAddress(f),
      },
      membership: {
        externalMemberNumber: `EMN-${f.string.alphanumeric({ length: 10, casing: 'upper' })}`,
        employerGroupId: f.helpers.arrayElement(this.employerGroups),
      },
      coverage,
      dependents,
      wellness: { programs: this.programs(age, sex, coverage) },
      preferences: {
        channel: f.helpers.weightedArrayElement(CHANNELS),
        language: f.helpers.weightedArrayElement(LANGUAGES),
        marketingOptIn: f.datatype.boolean({ probability: 0.3 }),
      },
    };
  }

  /** `count` members from `from` on. */
  *members(from: number, count: number): Generator<SyntheticMember> {
    for (let i = from; i < from + count; i++) yield this.member(i);
  }

  /** Spouse or domestic partner of a plausible age, and children born after the subscriber was 18, under 26. */
  private household(age: number, sex: 'female' | 'male', familyName: string): SyntheticDependent[] {
    const f = this.faker;
    const shape = f.helpers.weightedArrayElement(
      this.households.map((h) => ({ weight: h.weight, value: h.value })),
    );
    const dependents: SyntheticDependent[] = [];
    if (shape === 'couple' || shape === 'family') {
      const relationship = f.datatype.boolean({ probability: 0.88 }) ? 'spouse' : 'domestic_partner';
      const partnerSex = f.datatype.boolean({ probability: 0.9 }) ? otherSex(sex) : sex;
      const sharesName = relationship === 'spouse' && f.datatype.boolean({ probability: 0.75 });
      dependents.push({
        givenName: f.person.firstName(partnerSex),
        familyName: sharesName ? familyName : f.person.lastName(),
        dateOfBirth: this.birthDate(Math.max(19, age + f.number.int({ min: -6, max: 6 }))),
        relationship,
      });
    }
    if (shape === 'single_parent' || shape === 'family') {
      const maxChildren = 4 - dependents.length;
      const children = Math.min(
        maxChildren,
        f.helpers.weightedArrayElement([
          { weight: 45, value: 1 },
          { weight: 35, value: 2 },
          { weight: 15, value: 3 },
          { weight: 5, value: 4 },
        ]),
      );
      const oldest = Math.min(25, age - 18);
      const ages = Array.from({ length: children }, () => f.number.int({ min: 0, max: oldest })).sort(
        (a, b) => b - a,
      );
      for (const childAge of ages) {
        dependents.push({
          givenName: f.person.firstName(f.helpers.arrayElement(['female', 'male'] as const)),
          familyName,
          dateOfBirth: this.birthDate(childAge),
          relationship: 'child',
        });
      }
    }
    return dependents;
  }

  private coverage(hasSpouse: boolean, hasChildren: boolean): SyntheticMember['coverage'] {
    const f = this.faker;
    const coverageTier: CoverageTier =
      hasSpouse && hasChildren
        ? 'family'
        : hasSpouse
          ? 'employee_spouse'
          : hasChildren
            ? 'employee_children'
            : 'employee';
    const planCode = f.helpers.weightedArrayElement(PLANS);
    const status = f.helpers.weightedArrayElement<CoverageStatus>([
      { weight: 90, value: 'active' },
      { weight: 3, value: 'pending' },
      { weight: 7, value: 'terminated' },
    ]);
    if (status === 'pending') {
      return { planCode, coverageTier, effectiveDate: this.monthStart(1), terminationDate: null, status };
    }
    // Coverage began on the first of a month in the last seven years (at least a month ago).
    const monthsAgo = f.number.int({ min: status === 'terminated' ? 2 : 0, max: 84 });
    const effectiveDate = this.monthStart(-monthsAgo);
    if (status === 'active') return { planCode, coverageTier, effectiveDate, terminationDate: null, status };
    // Terminated at the end of a month after it began and before this month.
    const endedMonthsAgo = f.number.int({ min: 1, max: monthsAgo - 1 });
    const terminationDate = isoDate(new Date(Date.parse(this.monthStart(-endedMonthsAgo + 1)) - DAY_MS));
    return { planCode, coverageTier, effectiveDate, terminationDate, status };
  }

  private programs(
    age: number,
    sex: SyntheticSex,
    coverage: SyntheticMember['coverage'],
  ): SyntheticProgram[] {
    const f = this.faker;
    if (coverage.status === 'pending') return [];
    const offered = PROGRAMS.filter((p) => age >= p.minAge && age <= p.maxAge && (!p.sex || p.sex === sex));
    const count = f.helpers.weightedArrayElement([
      { weight: 45, value: 0 },
      { weight: 30, value: 1 },
      { weight: 17, value: 2 },
      { weight: 8, value: 3 },
    ]);
    const from = new Date(
      Math.max(Date.parse(coverage.effectiveDate), this.asOf.getTime() - 3 * 365 * DAY_MS),
    );
    const to = coverage.terminationDate ? new Date(coverage.terminationDate) : this.asOf;
    if (from >= to) return [];
    return f.helpers
      .arrayElements(offered, Math.min(count, offered.length))
      .map((program) => ({
        programCode: program.code,
        enrolledAt: isoDate(f.date.between({ from, to })),
        status: coverage.terminationDate
          ? f.helpers.arrayElement(['completed', 'withdrawn'] as const)
          : f.helpers.weightedArrayElement([
              { weight: 60, value: 'active' as const },
              { weight: 25, value: 'completed' as const },
              { weight: 15, value: 'withdrawn' as const },
            ]),
      }))
      .sort((a, b) => a.enrolledAt.localeCompare(b.enrolledAt));
  }

  /** Area 900–999 is never issued; group 00 and serial 0000 never occur in real SSNs either. */
  private ssn(): string {
    const f = this.faker;
    const group = String(f.number.int({ min: 1, max: 99 })).padStart(2, '0');
    const serial = String(f.number.int({ min: 1, max: 9999 })).padStart(4, '0');
    return `${f.number.int({ min: 900, max: 999 })}-${group}-${serial}`;
  }

  private birthDate(age: number): string {
    return isoDate(this.faker.date.birthdate({ mode: 'age', min: age, max: age, refDate: this.asOf }));
  }

  /** When the membership system recorded the enrolment: up to 45 days before coverage began. */
  private occurredAt(effectiveDate: string): string {
    const effective = Date.parse(effectiveDate);
    const to = new Date(Math.min(effective, this.asOf.getTime()));
    return this.faker.date.between({ from: new Date(effective - 45 * DAY_MS), to }).toISOString();
  }

  /** The first day of the month `offset` months from the as-of month. */
  private monthStart(offset: number): string {
    return isoDate(new Date(Date.UTC(this.asOf.getUTCFullYear(), this.asOf.getUTCMonth() + offset, 1)));
  }
}

function otherSex(sex: 'female' | 'male'): 'female' | 'male' {
  return sex === 'female' ? 'male' : 'female';
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A US phone number in the fictional 555 exchange. */
export function syntheticPhone(f: Faker): string {
  return `+1555${f.string.numeric(7)}`;
}

/** A synthetic US postal address, in the catalog's `address` shape. */
export function syntheticAddress(f: Faker) {
  return {
    line1: f.location.streetAddress(),
    line2: f.datatype.boolean({ probability: 0.25 }) ? f.location.secondaryAddress() : null,
    city: f.location.city(),
    state: f.location.state({ abbreviated: true }),
    postalCode: f.location.zipCode('#####'),
    country: 'US',
  };
}

/** The plan codes synthetic members are enrolled in. */
export const SYNTHETIC_PLAN_CODES: readonly string[] = PLANS.map((plan) => plan.value);

/** The letters of a name usable in an e-mail local part (`O'Connor` → `oconnor`). */
export function nameLetters(name: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase() || 'member'
  );
}
