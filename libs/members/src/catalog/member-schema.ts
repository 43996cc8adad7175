import { DATA_CATEGORIES, type DataCategory } from '@app/common';
import { fieldsOf, groupName, MEMBER_FIELDS } from './field-catalog';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of one category's group, derived from the catalog. */
export function groupSchema(category: DataCategory, requireAll = false): JsonSchema {
  const fields = fieldsOf(category);
  const whole = fields.find((f) => MEMBER_FIELDS[f].jsonKey === null);
  if (whole) return MEMBER_FIELDS[whole].schema;
  return {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: Object.fromEntries(fields.map((f) => [MEMBER_FIELDS[f].jsonKey, MEMBER_FIELDS[f].schema])),
    ...(requireAll ? { required: fields.map((f) => MEMBER_FIELDS[f].jsonKey) } : {}),
  };
}

/** All groups, each optional: the shape of a member document's ePHI and of a partial change. */
export function memberGroupsProperties(): Record<string, JsonSchema> {
  return Object.fromEntries(DATA_CATEGORIES.map((c) => [groupName(c), groupSchema(c)]));
}

const ORGANIZATION_ID = { type: 'string', pattern: '^org_[0-9A-HJKMNP-TV-Z]{26}$' };

/** POST /api/v1/members: the membership system's signed create. */
export const CREATE_MEMBER_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'occurredAt', 'sourceRef', 'organizationId', 'identity'],
  properties: {
    eventId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' },
    occurredAt: { type: 'string', format: 'date-time', maxLength: 40 },
    sourceRef: { type: 'string', minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' },
    organizationId: ORGANIZATION_ID,
    ...memberGroupsProperties(),
    identity: { ...groupSchema('identity'), required: ['givenName', 'familyName', 'dateOfBirth'] },
  },
};

/** PUT /api/v1/members/{id}/preferences: the B2B platform replaces the whole preferences group. */
export const PREFERENCES_SCHEMA: JsonSchema = groupSchema('preferences', true);

/** The member document as partners read it (OpenAPI): every group optional, dropped when not permitted. */
export const MEMBER_DOCUMENT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['id', 'organizationId', 'version', 'status', 'updatedAt'],
  properties: {
    id: { type: 'string', pattern: '^mbr_[0-9A-HJKMNP-TV-Z]{26}$' },
    organizationId: ORGANIZATION_ID,
    version: { type: 'integer', minimum: 1 },
    status: { type: 'string', enum: ['active', 'terminated', 'deleted'] },
    updatedAt: { type: 'string', format: 'date-time' },
    ...memberGroupsProperties(),
  },
};
