import { DATA_CATEGORIES } from '@app/common';
import { groupName, type SyntheticMember } from '@app/members';

/** A member as the sim holds it: the DESIGN §4 member groups (identity … preferences). */
export type MemberGroups = Omit<SyntheticMember, 'sourceRef' | 'occurredAt'>;
export type MemberGroupName = keyof MemberGroups;

/** A change: some groups, each with some of its fields (a list group is replaced whole). */
export type MemberChanges = {
  [G in MemberGroupName]?: MemberGroups[G] extends unknown[] ? MemberGroups[G] : Partial<MemberGroups[G]>;
};

/** The group names in catalog order, derived from the data categories. */
export const MEMBER_GROUP_NAMES = DATA_CATEGORIES.map(groupName) as MemberGroupName[];

/** The groups of a generated member (its `sourceRef` and `occurredAt` are the event's, not the member's). */
export function groupsOf(member: SyntheticMember): MemberGroups {
  const { sourceRef: _sourceRef, occurredAt: _occurredAt, ...groups } = member;
  return groups;
}

/**
 * The document after a change, by the catalog's unit of change: each field given replaces the
 * field (an address or a program list is one field), groups and fields not given stay.
 */
export function applyChanges(document: MemberGroups, changes: MemberChanges): MemberGroups {
  const next: Record<string, unknown> = { ...document };
  for (const [group, value] of Object.entries(changes) as Array<[string, unknown]>) {
    if (value === undefined) continue;
    const current = next[group];
    next[group] =
      Array.isArray(value) || !isObject(value) || !isObject(current) ? value : { ...current, ...value };
  }
  return next as MemberGroups;
}

/** The group names a change touches (for logs and counts: names only, never values). */
export function changedGroups(changes: MemberChanges): MemberGroupName[] {
  return MEMBER_GROUP_NAMES.filter((g) => changes[g] !== undefined);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
