import { DATA_CATEGORIES, type DataCategory, type PartnerScope } from '@app/common';
import { fieldsOf, groupName, MEMBER_FIELDS, type MemberField } from './catalog/field-catalog';

/** The categories each read scope can ever reach; the partner and its BAA narrow them further. */
export const READ_SCOPE_CATEGORIES: Partial<Record<PartnerScope, readonly DataCategory[]>> = {
  'members:read': DATA_CATEGORIES,
  'members.eligibility:read': ['identity', 'membership', 'coverage'],
};

/** Minimum necessary: scope ∩ partner registration ∩ BAA in effect (∩ consent, when it exists). */
export function readableCategories(
  scopes: ReadonlySet<PartnerScope>,
  partnerCategories: readonly DataCategory[],
  baaCategories: readonly DataCategory[],
): DataCategory[] {
  const byScope = new Set([...scopes].flatMap((s) => READ_SCOPE_CATEGORIES[s] ?? []));
  return DATA_CATEGORIES.filter(
    (c) => byScope.has(c) && partnerCategories.includes(c) && baaCategories.includes(c),
  );
}

export type MemberValues = Partial<Record<MemberField, unknown>>;

export interface MemberRecord {
  id: string;
  organizationId: string;
  version: number;
  status: string;
  updatedAt: string;
  values: MemberValues;
}

/**
 * The member document with only the permitted categories' groups. A group that is not permitted
 * is absent (not null, not empty): nothing else leaves the service.
 */
export function projectMember(
  member: MemberRecord,
  categories: readonly DataCategory[],
): Record<string, unknown> {
  const document: Record<string, unknown> = {
    id: member.id,
    organizationId: member.organizationId,
    version: member.version,
    status: member.status,
    updatedAt: member.updatedAt,
  };
  for (const category of categories) {
    const group = groupOf(member.values, category);
    if (group !== undefined) document[groupName(category)] = group;
  }
  return document;
}

function groupOf(values: MemberValues, category: DataCategory): unknown {
  const fields = fieldsOf(category).filter((f) => values[f] !== undefined);
  if (fields.length === 0) return undefined;
  const whole = fields.find((f) => MEMBER_FIELDS[f].jsonKey === null);
  if (whole) return values[whole];
  return Object.fromEntries(fields.map((f) => [MEMBER_FIELDS[f].jsonKey, values[f]]));
}

/** The catalog fields present in a request's groups, flattened: `{ identity: { givenName } }` → `{ givenName }`. */
export function valuesFromGroups(groups: Record<string, unknown>): MemberValues {
  const values: MemberValues = {};
  for (const category of DATA_CATEGORIES) {
    const group = groups[groupName(category)];
    if (group === undefined) continue;
    for (const field of fieldsOf(category)) {
      const key = MEMBER_FIELDS[field].jsonKey;
      if (key === null) values[field] = group;
      else if ((group as Record<string, unknown>)[key] !== undefined)
        values[field] = (group as Record<string, unknown>)[key];
    }
  }
  return values;
}
