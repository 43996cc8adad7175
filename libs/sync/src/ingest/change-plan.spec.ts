import type { FieldMetaEntry, FieldOwner, MemberField, MemberValues } from '@app/members';
import {
  conflictsOf,
  effectiveWrites,
  fieldPath,
  heldStamp,
  planChange,
  sideOf,
  verdictOf,
  type ChangePlan,
} from './change-plan';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 10, minute));
type Sender = { side: FieldOwner; sourceId: string; occurredAt: Date };
const sim = (minute: number): Sender => ({
  side: 'membership_system',
  sourceId: 'prt_SIM',
  occurredAt: at(minute),
});
const platform = (minute: number): Sender => ({
  side: 'b2b_platform',
  sourceId: 'adm_OFFICER',
  occurredAt: at(minute),
});
const stamp = (minute: number, side?: FieldMetaEntry['side']): FieldMetaEntry => ({
  updatedAt: at(minute).toISOString(),
  source: side === 'b2b_platform' ? 'adm_OFFICER' : 'prt_SIM',
  ...(side ? { side } : {}),
});

const held: MemberValues = {
  familyName: 'Held',
  phone: '+15555550100',
  planCode: 'PPO-1',
  channel: 'email',
  programs: [
    { programCode: 'WALK', enrolledAt: '2026-01-01', status: 'active' },
    { programCode: 'SLEEP', enrolledAt: '2026-02-01', status: 'active' },
  ],
};
const stamps = (overrides: Partial<Record<MemberField, FieldMetaEntry>> = {}) => ({
  familyName: stamp(10, 'membership_system'),
  phone: stamp(10, 'membership_system'),
  planCode: stamp(10, 'membership_system'),
  channel: stamp(10, 'b2b_platform'),
  programs: stamp(10, 'membership_system'),
  ...overrides,
});

describe('planChange', () => {
  it.each<[string, MemberValues, Sender, Partial<Record<MemberField, FieldMetaEntry>>, Partial<ChangePlan>]>([
    [
      'applies a newer last-writer-wins field',
      { phone: '+15555550199' },
      sim(11),
      stamps(),
      { apply: { phone: '+15555550199' } },
    ],
    [
      'skips an older last-writer-wins field as stale',
      { phone: '+15555550199' },
      sim(9),
      stamps(),
      { stale: ['phone'] },
    ],
    [
      'refuses coverage from the platform',
      { planCode: 'HMO-2' },
      platform(11),
      stamps(),
      { notOwner: ['planCode'] },
    ],
    [
      'refuses preferences from the membership system',
      { channel: 'sms' },
      sim(11),
      stamps(),
      { notOwner: ['channel'] },
    ],
    [
      'holds a name for a person when the platform changed it last',
      { familyName: 'Theirs' },
      sim(11),
      stamps({ familyName: stamp(10, 'b2b_platform') }),
      { manual: ['familyName'] },
    ],
    [
      'applies a newer name from the side that set it last',
      { familyName: 'Newer' },
      sim(11),
      stamps(),
      { apply: { familyName: 'Newer' } },
    ],
    [
      "treats a stamp without a side as the owner's (written before sides were recorded)",
      { familyName: 'Newer' },
      sim(11),
      stamps({ familyName: stamp(10) }),
      { apply: { familyName: 'Newer' } },
    ],
    [
      'applies an equal value without a conflict, whoever sent it last',
      { familyName: 'Held' },
      sim(11),
      stamps({ familyName: stamp(10, 'b2b_platform') }),
      { apply: { familyName: 'Held' } },
    ],
    [
      'merges programs by code, the newer side winning a shared code',
      {
        programs: [
          { programCode: 'SLEEP', enrolledAt: '2026-02-01', status: 'completed' },
          { programCode: 'YOGA', enrolledAt: '2026-03-01', status: 'active' },
        ],
      },
      sim(11),
      stamps(),
      {
        apply: {
          programs: [
            { programCode: 'WALK', enrolledAt: '2026-01-01', status: 'active' },
            { programCode: 'SLEEP', enrolledAt: '2026-02-01', status: 'completed' },
            { programCode: 'YOGA', enrolledAt: '2026-03-01', status: 'active' },
          ],
        },
      },
    ],
    [
      'merges an older program list without undoing newer elements',
      { programs: [{ programCode: 'SLEEP', enrolledAt: '2026-02-01', status: 'withdrawn' }] },
      sim(9),
      stamps(),
      { apply: { programs: held.programs } },
    ],
    [
      'sets a field never held, whatever its policy',
      { dateOfBirth: '1980-02-29' },
      sim(1),
      stamps(),
      { apply: { dateOfBirth: '1980-02-29' } },
    ],
  ])('%s', (_name, incoming, sender, fieldStamps, expected) => {
    const sut = planChange(incoming, sender, held, fieldStamps);
    expect(sut).toEqual({ apply: {}, stale: [], notOwner: [], manual: [], ...expected });
  });
});

describe('verdictOf', () => {
  const plan = (p: Partial<ChangePlan>): ChangePlan => ({
    apply: {},
    stale: [],
    notOwner: [],
    manual: [],
    ...p,
  });
  it.each<[string, ChangePlan, ReturnType<typeof verdictOf>]>([
    [
      'writes when some fields apply and others are stale or manual',
      plan({ apply: { phone: 'x' }, stale: ['email'], manual: ['ssn'] }),
      'write',
    ],
    [
      'writes the owned fields and skips one the sender does not own',
      plan({ apply: { phone: 'x' }, notOwner: ['channel'] }),
      'write',
    ],
    ['is a conflict when nothing applies', plan({ stale: ['phone'] }), 'conflict'],
    ["is a conflict when the only field is not the sender's", plan({ notOwner: ['channel'] }), 'conflict'],
    ['is a conflict when the only field awaits a case', plan({ manual: ['familyName'] }), 'conflict'],
  ])('%s', (_name, input, expected) => {
    expect(verdictOf(input)).toBe(expected);
  });
});

describe('field naming and sides', () => {
  it('names fields by their JSON path, never by value', () => {
    expect(
      ['familyName', 'coverageStatus', 'dependents', 'programs'].map((f) => fieldPath(f as MemberField)),
    ).toEqual(['identity.familyName', 'coverage.status', 'dependents', 'wellness.programs']);
    expect(conflictsOf({ apply: {}, stale: ['phone'], notOwner: ['channel'], manual: ['ssn'] })).toEqual([
      { field: 'preferences.channel', reason: 'not_owner' },
      { field: 'contact.phone', reason: 'stale' },
      { field: 'governmentId.ssn', reason: 'manual' },
    ]);
  });

  it("puts a membership-system partner on its side and everyone else on the platform's", () => {
    expect(sideOf('membership_system')).toBe('membership_system');
    expect(['carrier', 'benefits_admin', 'wellness_app', undefined].map(sideOf)).toEqual(
      Array(4).fill('b2b_platform'),
    );
  });

  it('gives the owner the tie-break priority of a held value', () => {
    expect(heldStamp('channel', stamp(1, 'b2b_platform')).priority).toBe(1);
    expect(heldStamp('channel', stamp(1, 'membership_system')).priority).toBe(0);
    expect(heldStamp('planCode', stamp(1)).side).toBe('membership_system');
  });
});

describe('effectiveWrites', () => {
  it.each<[string, MemberValues, number, MemberValues]>([
    ['drops a value held under the same stamp (a replayed create)', { phone: held.phone }, 10, {}],
    ['drops a value held under a newer stamp (the stamp never moves back)', { phone: held.phone }, 5, {}],
    [
      'keeps a value equal to the held one when the change is newer',
      { phone: held.phone },
      11,
      { phone: held.phone },
    ],
    ['keeps a different value whatever its stamp', { phone: '+15555550199' }, 5, { phone: '+15555550199' }],
    ['keeps a value nothing holds yet', { email: 'a@example.test' }, 10, { email: 'a@example.test' }],
    [
      'keeps only the changed fields of a mixed change',
      { familyName: 'Held', planCode: 'PPO-2' },
      10,
      { planCode: 'PPO-2' },
    ],
    ['drops an equal merged set', { programs: held.programs }, 10, {}],
  ])('%s', (_name, apply, minute, expected) => {
    expect(effectiveWrites(apply, at(minute), held, stamps())).toEqual(expected);
  });
});
