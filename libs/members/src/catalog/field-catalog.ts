import { DATA_CATEGORIES, type DataCategory } from '@app/common';

/** HIPAA Safe Harbor identifier kinds (45 CFR 164.514(b)(2)); `none` for non-identifying data. */
export type IdentifierKind =
  | 'name'
  | 'date'
  | 'ssn'
  | 'email'
  | 'phone'
  | 'geographic'
  | 'health_plan_beneficiary_number'
  | 'account_number'
  | 'none';

/**
 * How the Safe Harbor export (45 CFR 164.514(b)(2)) treats a field: `keep` — not an identifier;
 * `remove` — dropped; `year` — a date cut to its year; `birth_year` — a birth date cut to its year,
 * ages over 89 grouped as '90+'; `address` — state, country and ZIP-3 (restricted ZIP-3s as '000');
 * `dependents` and `programs` — lists whose items are de-identified by those same rules.
 */
export type DeidentifyRule =
  'keep' | 'remove' | 'year' | 'birth_year' | 'address' | 'dependents' | 'programs';

/** Which system's value wins for a field. */
export type FieldOwner = 'membership_system' | 'b2b_platform';

/**
 * How a change from one side meets the value the other side holds (libs/sync applies it):
 * `source_of_truth` — only the field's owner may change it; `last_writer_wins` — the change that
 * happened last at its source stands (source priority breaks a tie); `merge` — sets are united
 * element by element; `manual` — critical fields changed by both sides since they last agreed
 * open a reconciliation case for a compliance officer.
 */
export type ConflictPolicy = 'source_of_truth' | 'last_writer_wins' | 'merge' | 'manual';

type JsonSchema = Record<string, unknown>;

export interface FieldSpec {
  category: DataCategory;
  /** The key inside its group in the member JSON; null when the field is the whole group (a list). */
  jsonKey: string | null;
  identifier: IdentifierKind;
  /** What the de-identified export keeps of it; required, so a new field cannot skip the decision. */
  deidentify: DeidentifyRule;
  owner: FieldOwner;
  blindIndexed: boolean;
  conflictPolicy: ConflictPolicy;
  /** JSON Schema of the value: drives request validation and the OpenAPI document. */
  schema: JsonSchema;
}

const isoDate = { type: 'string', format: 'date', maxLength: 10 };
const nullableIsoDate = { type: ['string', 'null'], format: 'date', maxLength: 10 };
const personName = { type: 'string', minLength: 1, maxLength: 100 };
const code = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9._-]+$' };

/**
 * The ePHI field catalog: every member field, once. Encryption, projection, redaction,
 * de-identification and the OpenAPI schemas all derive from this table. Adding a field is one
 * entry here plus a migration adding its `<snake_case>_enc` column.
 */
export const MEMBER_FIELDS = {
  givenName: {
    category: 'identity',
    jsonKey: 'givenName',
    identifier: 'name',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'manual',
    schema: personName,
  },
  familyName: {
    category: 'identity',
    jsonKey: 'familyName',
    identifier: 'name',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'manual',
    schema: personName,
  },
  dateOfBirth: {
    category: 'identity',
    jsonKey: 'dateOfBirth',
    identifier: 'date',
    deidentify: 'birth_year',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'manual',
    schema: isoDate,
  },
  sex: {
    category: 'identity',
    jsonKey: 'sex',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'last_writer_wins',
    schema: { type: 'string', enum: ['female', 'male', 'other', 'unknown'] },
  },
  ssn: {
    category: 'government_id',
    jsonKey: 'ssn',
    identifier: 'ssn',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: true,
    conflictPolicy: 'manual',
    schema: { type: 'string', pattern: '^[0-9]{3}-[0-9]{2}-[0-9]{4}$', maxLength: 11 },
  },
  email: {
    category: 'contact',
    jsonKey: 'email',
    identifier: 'email',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: true,
    conflictPolicy: 'last_writer_wins',
    schema: { type: 'string', format: 'email', maxLength: 254 },
  },
  phone: {
    category: 'contact',
    jsonKey: 'phone',
    identifier: 'phone',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'last_writer_wins',
    schema: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' },
  },
  address: {
    category: 'contact',
    jsonKey: 'address',
    identifier: 'geographic',
    deidentify: 'address',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'last_writer_wins',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['line1', 'city', 'state', 'postalCode', 'country'],
      properties: {
        line1: { type: 'string', minLength: 1, maxLength: 200 },
        line2: { type: ['string', 'null'], maxLength: 200 },
        city: { type: 'string', minLength: 1, maxLength: 100 },
        state: { type: 'string', minLength: 2, maxLength: 3 },
        postalCode: { type: 'string', pattern: '^[0-9A-Za-z -]{3,10}$' },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
  },
  externalMemberNumber: {
    category: 'membership',
    jsonKey: 'externalMemberNumber',
    identifier: 'health_plan_beneficiary_number',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: true,
    conflictPolicy: 'source_of_truth',
    schema: code,
  },
  employerGroupId: {
    category: 'membership',
    jsonKey: 'employerGroupId',
    identifier: 'account_number',
    deidentify: 'remove',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: code,
  },
  planCode: {
    category: 'coverage',
    jsonKey: 'planCode',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: code,
  },
  coverageTier: {
    category: 'coverage',
    jsonKey: 'coverageTier',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: { type: 'string', enum: ['employee', 'employee_spouse', 'employee_children', 'family'] },
  },
  effectiveDate: {
    category: 'coverage',
    jsonKey: 'effectiveDate',
    identifier: 'date',
    deidentify: 'year',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: isoDate,
  },
  terminationDate: {
    category: 'coverage',
    jsonKey: 'terminationDate',
    identifier: 'date',
    deidentify: 'year',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: nullableIsoDate,
  },
  coverageStatus: {
    category: 'coverage',
    jsonKey: 'status',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: { type: 'string', enum: ['active', 'pending', 'terminated'] },
  },
  dependents: {
    category: 'dependents',
    jsonKey: null,
    identifier: 'name',
    deidentify: 'dependents',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'last_writer_wins',
    schema: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['givenName', 'familyName', 'dateOfBirth', 'relationship'],
        properties: {
          givenName: personName,
          familyName: personName,
          dateOfBirth: isoDate,
          relationship: { type: 'string', enum: ['spouse', 'domestic_partner', 'child', 'other'] },
        },
      },
    },
  },
  programs: {
    category: 'wellness',
    jsonKey: 'programs',
    identifier: 'none',
    deidentify: 'programs',
    owner: 'membership_system',
    blindIndexed: false,
    conflictPolicy: 'merge',
    schema: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['programCode', 'enrolledAt', 'status'],
        properties: {
          programCode: code,
          enrolledAt: isoDate,
          status: { type: 'string', enum: ['active', 'completed', 'withdrawn'] },
        },
      },
    },
  },
  channel: {
    category: 'preferences',
    jsonKey: 'channel',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'b2b_platform',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: { type: 'string', enum: ['email', 'sms', 'mail', 'none'] },
  },
  language: {
    category: 'preferences',
    jsonKey: 'language',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'b2b_platform',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: { type: 'string', pattern: '^[a-z]{2}(-[A-Z]{2})?$' },
  },
  marketingOptIn: {
    category: 'preferences',
    jsonKey: 'marketingOptIn',
    identifier: 'none',
    deidentify: 'keep',
    owner: 'b2b_platform',
    blindIndexed: false,
    conflictPolicy: 'source_of_truth',
    schema: { type: 'boolean' },
  },
} as const satisfies Record<string, FieldSpec>;

export type MemberField = keyof typeof MEMBER_FIELDS;
export const MEMBER_FIELD_NAMES = Object.keys(MEMBER_FIELDS) as MemberField[];

/** The member JSON group of a category: its camelCase name (`government_id` → `governmentId`). */
export function groupName(category: DataCategory): string {
  return category.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The database column that holds a field's ciphertext. */
export function encryptedColumn(field: MemberField): string {
  return `${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_enc`;
}

export function blindIndexColumn(field: MemberField): string {
  return `${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_bidx`;
}

export const BLIND_INDEXED_FIELDS = MEMBER_FIELD_NAMES.filter((f) => MEMBER_FIELDS[f].blindIndexed);

export function fieldsOf(category: DataCategory): MemberField[] {
  return MEMBER_FIELD_NAMES.filter((f) => MEMBER_FIELDS[f].category === category);
}

/** Normalization before blind indexing, so equal values index equally. */
export function normalizeForIndex(field: MemberField, value: string): string {
  if (field === 'email') return value.trim().toLowerCase();
  if (field === 'ssn') return value.replace(/[^0-9]/g, '');
  return value.trim();
}

/** Every name under which a member value can appear in an object: field names, JSON keys, group names. */
export const EPHI_LOG_KEYS: readonly string[] = [
  ...new Set([
    ...MEMBER_FIELD_NAMES,
    ...MEMBER_FIELD_NAMES.map((f) => MEMBER_FIELDS[f].jsonKey).filter(
      (k): k is NonNullable<typeof k> => k !== null,
    ),
    ...DATA_CATEGORIES.map(groupName),
  ]),
].filter((key) => !['status'].includes(key));
