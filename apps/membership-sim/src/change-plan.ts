import { en, Faker } from '@faker-js/faker';
import {
  nameLetters,
  SYNTHETIC_PLAN_CODES,
  syntheticAddress,
  SyntheticMemberGenerator,
  syntheticPhone,
} from '@app/members';
import { applyChanges, groupsOf, type MemberChanges, type MemberGroups } from './member-document';

export type SimEventKind = 'create' | 'update';

/** One change the membership system commits: a create carries every group, an update some. */
export interface SimEvent {
  kind: SimEventKind;
  sourceRef: string;
  eventId: string;
  occurredAt: string;
  changes: MemberChanges;
}

export interface ChangePlanInput {
  seed: number;
  /** Members to create (events 0 … members-1 are their creates). */
  members: number;
  /** The generator index of the first new member, so a second run of a seed creates other people. */
  firstMemberIndex: number;
  /** Updates to make over the new members, or over `existing` when no member is created. */
  changes: number;
  existing: ReadonlyArray<{ sourceRef: string; document: MemberGroups }>;
  /** occurredAt of the first event; each later event is 1 ms later, so commit order = occurrence order. */
  startAtMs: number;
  newSourceRef: () => string;
  newEventId: () => string;
}

export interface ChangePlan {
  events: SimEvent[];
  /** Each touched member's document after all its events. */
  documents: Map<string, MemberGroups>;
}

/**
 * What the membership system changes. Only groups it owns: preferences belong to the B2B platform
 * (DESIGN §3), so a sim that changed them would be refused by our conflict policy and never converge.
 * Programs are only added or change status, never removed (enrolments merge as a set).
 */
type ChangeKind =
  | 'address'
  | 'phone'
  | 'email'
  | 'familyName'
  | 'employerGroup'
  | 'plan'
  | 'coverageStatus'
  | 'dependents'
  | 'wellness'
  | 'ssn';

const CHANGE_KINDS: ReadonlyArray<{ weight: number; value: ChangeKind }> = [
  { weight: 24, value: 'address' },
  { weight: 14, value: 'phone' },
  { weight: 14, value: 'email' },
  { weight: 6, value: 'familyName' },
  { weight: 8, value: 'employerGroup' },
  { weight: 8, value: 'plan' },
  { weight: 6, value: 'coverageStatus' },
  { weight: 6, value: 'dependents' },
  { weight: 12, value: 'wellness' },
  { weight: 2, value: 'ssn' },
];

/** Share of updates that change a second thing at once (a move: address and phone). */
const SECOND_CHANGE_PROBABILITY = 0.2;
const PROGRAM_CODES = [
  'STEPS-CHALLENGE',
  'DIABETES-PREVENTION',
  'TOBACCO-FREE',
  'WEIGHT-WELLNESS',
  'SLEEP-BETTER',
  'MINDFUL-MINUTES',
  'HEART-HEALTH',
];
const MAX_DEPENDENTS = 8;
const YEAR_MS = 365 * 86_400_000;

/**
 * The events of one generation run, in commit order: `members` creates (synthetic members of
 * `seed`), then `changes` updates of random members and fields. The same input gives the same
 * events (ids come from the injected functions).
 */
export function planChanges(input: ChangePlanInput): ChangePlan {
  const generator = new SyntheticMemberGenerator(input.seed);
  const faker = new Faker({ locale: [en] });
  faker.seed([input.seed, 0x51a]);
  const documents = new Map<string, MemberGroups>();
  const events: SimEvent[] = [];
  const occurredAt = () => new Date(input.startAtMs + events.length).toISOString();

  for (let i = 0; i < input.members; i++) {
    const sourceRef = input.newSourceRef();
    const document = groupsOf(generator.member(input.firstMemberIndex + i));
    documents.set(sourceRef, document);
    events.push({
      kind: 'create',
      sourceRef,
      eventId: input.newEventId(),
      occurredAt: occurredAt(),
      changes: document,
    });
  }
  if (input.members === 0) for (const m of input.existing) documents.set(m.sourceRef, m.document);
  const targets = [...documents.keys()];
  if (input.changes > 0 && targets.length === 0) throw new RangeError('there are no members to change');

  for (let i = 0; i < input.changes; i++) {
    const sourceRef = targets[faker.number.int({ min: 0, max: targets.length - 1 })];
    const document = documents.get(sourceRef) as MemberGroups;
    const at = occurredAt();
    let changes = changeOf(faker.helpers.weightedArrayElement(CHANGE_KINDS), document, faker, at);
    if (faker.datatype.boolean({ probability: SECOND_CHANGE_PROBABILITY })) {
      const second = changeOf(faker.helpers.weightedArrayElement(CHANGE_KINDS), document, faker, at);
      changes = mergeChanges(changes, second);
    }
    documents.set(sourceRef, applyChanges(document, changes));
    events.push({ kind: 'update', sourceRef, eventId: input.newEventId(), occurredAt: at, changes });
  }
  return { events, documents };
}

function changeOf(kind: ChangeKind, member: MemberGroups, f: Faker, occurredAt: string): MemberChanges {
  const day = occurredAt.slice(0, 10);
  switch (kind) {
    case 'address':
      return { contact: { address: syntheticAddress(f) } };
    case 'phone':
      return { contact: { phone: syntheticPhone(f) } };
    case 'email':
      return {
        contact: {
          email: `${nameLetters(member.identity.givenName)}.${nameLetters(member.identity.familyName)}${f.number.int({ min: 1, max: 99_999 })}@example.test`,
        },
      };
    case 'familyName':
      return { identity: { familyName: f.person.lastName() } };
    case 'employerGroup':
      return {
        membership: { employerGroupId: `GRP-${f.string.numeric({ length: 5, allowLeadingZeros: false })}` },
      };
    case 'plan':
      return {
        coverage: {
          planCode: f.helpers.arrayElement(
            SYNTHETIC_PLAN_CODES.filter((p) => p !== member.coverage.planCode),
          ),
        },
      };
    case 'coverageStatus':
      return member.coverage.status === 'terminated'
        ? { coverage: { status: 'active', terminationDate: null } }
        : {
            coverage: {
              status: 'terminated',
              terminationDate: day > member.coverage.effectiveDate ? day : member.coverage.effectiveDate,
            },
          };
    case 'dependents':
      return { dependents: nextDependents(member, f, occurredAt) };
    case 'wellness':
      return { wellness: { programs: nextPrograms(member, f, day) } };
    case 'ssn':
      // A correction, in the never-issued 900–999 area.
      return {
        governmentId: {
          ssn: `${f.number.int({ min: 900, max: 999 })}-${String(f.number.int({ min: 1, max: 99 })).padStart(2, '0')}-${String(f.number.int({ min: 1, max: 9999 })).padStart(4, '0')}`,
        },
      };
  }
}

/** A child is born (or adopted), or the last dependent leaves the plan. */
function nextDependents(member: MemberGroups, f: Faker, occurredAt: string): MemberGroups['dependents'] {
  const current = member.dependents;
  if (current.length > 0 && (current.length >= MAX_DEPENDENTS || f.datatype.boolean({ probability: 0.3 }))) {
    return current.slice(0, -1);
  }
  const to = new Date(occurredAt);
  const born = f.date.between({ from: new Date(to.getTime() - 5 * YEAR_MS), to });
  return [
    ...current,
    {
      givenName: f.person.firstName(),
      familyName: member.identity.familyName,
      dateOfBirth: born.toISOString().slice(0, 10),
      relationship: 'child',
    },
  ];
}

/** Enrols in a program not yet joined, or moves one program to another status. */
function nextPrograms(member: MemberGroups, f: Faker, day: string): MemberGroups['wellness']['programs'] {
  const programs = member.wellness.programs;
  const joined = new Set(programs.map((p) => p.programCode));
  const open = PROGRAM_CODES.filter((code) => !joined.has(code));
  if (open.length > 0 && (programs.length === 0 || f.datatype.boolean({ probability: 0.6 }))) {
    return [...programs, { programCode: f.helpers.arrayElement(open), enrolledAt: day, status: 'active' }];
  }
  const index = f.number.int({ min: 0, max: programs.length - 1 });
  const status = f.helpers.arrayElement(
    (['active', 'completed', 'withdrawn'] as const).filter((s) => s !== programs[index].status),
  );
  return programs.map((p, i) => (i === index ? { ...p, status } : p));
}

/** Two changes as one: fields of the same group are combined, the later one winning a shared field. */
export function mergeChanges(first: MemberChanges, second: MemberChanges): MemberChanges {
  const merged: MemberChanges & Record<string, unknown> = { ...first };
  for (const [group, value] of Object.entries(second) as Array<[string, unknown]>) {
    const current = merged[group];
    merged[group] =
      current && typeof current === 'object' && !Array.isArray(current) && !Array.isArray(value)
        ? { ...current, ...(value as object) }
        : value;
  }
  return merged;
}
