import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { CREATE_MEMBER_SCHEMA, memberGroupsProperties } from '@app/members';
import { planChanges, type ChangePlanInput } from './change-plan';
import { applyChanges, MEMBER_GROUP_NAMES, type MemberGroups } from './member-document';

function input(overrides: Partial<ChangePlanInput> = {}): ChangePlanInput {
  let refs = 0;
  let events = 0;
  return {
    seed: 11,
    members: 20,
    firstMemberIndex: 0,
    changes: 300,
    existing: [],
    startAtMs: Date.parse('2026-03-01T12:00:00Z'),
    newSourceRef: () => `src_${String(++refs).padStart(8, '0')}`,
    newEventId: () => `evt_${++events}`,
    ...overrides,
  };
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validCreate = ajv.compile({ ...CREATE_MEMBER_SCHEMA });
const validChanges = ajv.compile({
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: memberGroupsProperties(),
});

describe('planChanges', () => {
  it('creates the members first, then makes the changes', () => {
    const sut = planChanges(input());
    expect(sut.events).toHaveLength(320);
    expect(sut.events.slice(0, 20).every((e) => e.kind === 'create')).toBe(true);
    expect(sut.events.slice(20).every((e) => e.kind === 'update')).toBe(true);
    expect(new Set(sut.events.map((e) => e.eventId)).size).toBe(320);
  });

  it('is deterministic: the same seed makes the same changes', () => {
    expect(planChanges(input())).toEqual(planChanges(input()));
  });

  it('makes other changes for another seed', () => {
    expect(planChanges(input({ seed: 12 })).events).not.toEqual(planChanges(input()).events);
  });

  it('gives each event a later occurredAt than the one committed before it', () => {
    const times = planChanges(input()).events.map((e) => Date.parse(e.occurredAt));
    times.slice(1).forEach((t, i) => expect(t).toBeGreaterThan(times[i]));
  });

  it('creates with every group, in the shape our API accepts', () => {
    const creates = planChanges(input()).events.filter((e) => e.kind === 'create');
    for (const create of creates) {
      expect(Object.keys(create.changes).sort()).toEqual([...MEMBER_GROUP_NAMES].sort());
      const body = {
        eventId: create.eventId,
        occurredAt: create.occurredAt,
        sourceRef: create.sourceRef,
        organizationId: 'org_01JABCDEFGHJKMNPQRSTVWXYZ0',
        ...create.changes,
      };
      expect(validCreate(body) ? [] : validCreate.errors).toEqual([]);
    }
  });

  it('makes updates our API accepts, and never of the preferences the B2B platform owns', () => {
    const updates = planChanges(input({ changes: 2_000 })).events.filter((e) => e.kind === 'update');
    for (const update of updates) {
      expect(validChanges(update.changes) ? [] : validChanges.errors).toEqual([]);
      expect(update.changes.preferences).toBeUndefined();
    }
    const touched = new Set(updates.flatMap((u) => Object.keys(u.changes)));
    expect([...touched].sort()).toEqual(
      ['contact', 'coverage', 'dependents', 'governmentId', 'identity', 'membership', 'wellness'].sort(),
    );
  });

  it('never removes a wellness program (enrolments merge as a set)', () => {
    const { events } = planChanges(input({ changes: 2_000 }));
    const programs = new Map<string, Set<string>>();
    for (const e of events) {
      const codes = e.changes.wellness?.programs?.map((p) => p.programCode);
      if (!codes) continue;
      for (const code of programs.get(e.sourceRef) ?? []) expect(codes).toContain(code);
      programs.set(e.sourceRef, new Set(codes));
    }
  });

  it('ends with the documents that applying its events in order gives', () => {
    const sut = planChanges(input());
    const replayed = new Map<string, MemberGroups>();
    for (const e of sut.events) {
      const before = replayed.get(e.sourceRef);
      replayed.set(e.sourceRef, before ? applyChanges(before, e.changes) : (e.changes as MemberGroups));
    }
    expect(replayed).toEqual(sut.documents);
  });

  it('changes existing members when it creates none', () => {
    const first = planChanges(input({ changes: 0 }));
    const existing = [...first.documents].map(([sourceRef, document]) => ({ sourceRef, document }));
    const sut = planChanges(input({ members: 0, changes: 50, existing }));
    expect(sut.events).toHaveLength(50);
    for (const e of sut.events) expect(first.documents.has(e.sourceRef)).toBe(true);
  });

  it('refuses changes when there is no member to change', () => {
    expect(() => planChanges(input({ members: 0, changes: 1 }))).toThrow(RangeError);
  });
});
