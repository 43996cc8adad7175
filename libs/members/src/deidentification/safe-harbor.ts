import { DATA_CATEGORIES } from '@app/common';
import {
  type DeidentifyRule,
  fieldsOf,
  groupName,
  MEMBER_FIELDS,
  type MemberField,
} from '../catalog/field-catalog';
import type { MemberValues } from '../projection';

/**
 * The 3-digit ZIP areas with 20,000 people or fewer (Census 2000, as HHS lists them): Safe Harbor
 * lets a ZIP-3 stay only when its area holds more than 20,000 people, so these become '000'.
 */
export const RESTRICTED_ZIP3: ReadonlySet<string> = new Set([
  '036',
  '059',
  '063',
  '102',
  '203',
  '556',
  '692',
  '790',
  '821',
  '823',
  '830',
  '831',
  '878',
  '879',
  '884',
  '890',
  '893',
]);

/** Ages over 89 are one category: a birth year that could make the person 90 this year is not shown. */
export const AGE_BAND_90_PLUS = '90+';

export interface DeidentifiableMember {
  organizationId: string;
  status: string;
  values: MemberValues;
}

export interface DeidentificationContext {
  /** Stands in for the member id: random, never derived from it, no key kept. */
  pseudonym: string;
  /** The export's day; ages are counted to its year. */
  asOf: Date;
}

type Group = Record<string, unknown>;

/**
 * HIPAA Safe Harbor (45 CFR 164.514(b)(2)) for one member, driven by each catalog field's
 * `deidentify` rule: names, numbers, contact details and street, city and ZIP-5 go; dates keep
 * their year; ages over 89 collapse into '90+'; ZIP keeps 3 digits where allowed. The member id is
 * replaced by `pseudonym`; the organization (the employer, not an individual) stays. A group
 * left with nothing is absent.
 */
export function deidentifyMember(
  member: DeidentifiableMember,
  context: DeidentificationContext,
): Record<string, unknown> {
  const document: Record<string, unknown> = {
    pseudonym: context.pseudonym,
    organizationId: member.organizationId,
    status: member.status,
  };
  const asOfYear = context.asOf.getUTCFullYear();
  for (const category of DATA_CATEGORIES) {
    const group: Group = {};
    let list: unknown[] | undefined;
    for (const field of fieldsOf(category)) {
      const value = member.values[field];
      if (value === undefined) continue;
      const { jsonKey } = MEMBER_FIELDS[field];
      const out = deidentifyField(field, value, asOfYear);
      if (out === undefined) continue;
      if (jsonKey === null) list = out as unknown[];
      else Object.assign(group, out);
    }
    if (list !== undefined) document[groupName(category)] = list;
    else if (Object.keys(group).length > 0) document[groupName(category)] = group;
  }
  return document;
}

/** One field's keys in its group (or, for a whole-group list, the list); undefined when removed. */
function deidentifyField(field: MemberField, value: unknown, asOfYear: number): unknown {
  const spec = MEMBER_FIELDS[field];
  const key = spec.jsonKey ?? field;
  const rule: DeidentifyRule = spec.deidentify;
  switch (rule) {
    case 'keep':
      return { [key]: value };
    case 'remove':
      return undefined;
    case 'year':
      return { [yearKey(key)]: yearOf(value) };
    case 'birth_year':
      return birth(value, asOfYear);
    case 'address':
      return { [key]: generalizedAddress(value) };
    case 'dependents':
      return Array.isArray(value) ? value.map((d: Group) => dependent(d, asOfYear)) : [];
    case 'programs':
      return { [key]: Array.isArray(value) ? value.map(program) : [] };
    default: {
      const unhandled: never = rule;
      throw new Error(`no de-identification for rule ${String(unhandled)}`);
    }
  }
}

/** `effectiveDate` → `effectiveYear`, `enrolledAt` → `enrolledYear`. */
export function yearKey(key: string): string {
  return `${key.replace(/(Date|At)$/, '')}Year`;
}

/** The year of an ISO date (or date-time); null for null or anything else. */
export function yearOf(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4})-\d{2}-\d{2}/.exec(value);
  return match ? Number(match[1]) : null;
}

/**
 * Birth year, or the '90+' band when the person is or turns 90 or more in the export's year (the
 * year alone would then indicate an age over 89, which Safe Harbor forbids).
 */
export function birth(
  value: unknown,
  asOfYear: number,
): { birthYear: number | null; ageBand: string | null } {
  const year = yearOf(value);
  if (year === null) return { birthYear: null, ageBand: null };
  return asOfYear - year >= 90
    ? { birthYear: null, ageBand: AGE_BAND_90_PLUS }
    : { birthYear: year, ageBand: null };
}

/**
 * A US ZIP's first three digits, or '000' for a restricted area; null for anything that is not a
 * US ZIP (a foreign postal code has no Safe Harbor generalization here, so it goes).
 */
export function zip3(postalCode: unknown, country: unknown): string | null {
  if (typeof postalCode !== 'string' || (country !== undefined && country !== 'US')) return null;
  const match = /^(\d{3})\d{2}(-\d{4})?$/.exec(postalCode.trim());
  if (!match) return null;
  return RESTRICTED_ZIP3.has(match[1]) ? '000' : match[1];
}

/** State and country stay (Safe Harbor allows a state); street lines, city and ZIP-5 go. */
function generalizedAddress(value: unknown): Group | null {
  if (!value || typeof value !== 'object') return null;
  const address = value as Group;
  return {
    state: typeof address.state === 'string' ? address.state : null,
    country: typeof address.country === 'string' ? address.country : null,
    zip3: zip3(address.postalCode, address.country),
  };
}

/** A dependent keeps its relationship and birth year (ages over 89 grouped); its names go. */
function dependent(value: Group, asOfYear: number): Group {
  return { relationship: value.relationship ?? null, ...birth(value.dateOfBirth, asOfYear) };
}

/** A wellness enrolment keeps its program and status; its date keeps the year. */
function program(value: Group): Group {
  return {
    programCode: value.programCode ?? null,
    status: value.status ?? null,
    [yearKey('enrolledAt')]: yearOf(value.enrolledAt),
  };
}
