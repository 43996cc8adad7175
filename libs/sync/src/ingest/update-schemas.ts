import { CREATE_MEMBER_SCHEMA, memberGroupsProperties } from '@app/members';

type JsonSchema = Record<string, unknown>;

// The create's own definitions: an event id, a time and a sourceRef mean the same on every route.
const CREATE_PROPERTIES = CREATE_MEMBER_SCHEMA.properties as Record<string, JsonSchema>;

/** Partial member groups: any group, each partial, at least one (fields validated by the catalog's schemas). */
export const CHANGES_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: memberGroupsProperties(),
};

/** POST /api/v1/members/{memberId}/updates */
export const UPDATE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'occurredAt', 'changes'],
  properties: {
    eventId: CREATE_PROPERTIES.eventId,
    occurredAt: CREATE_PROPERTIES.occurredAt,
    changes: CHANGES_SCHEMA,
  },
};

/** At most this many updates per batch (DESIGN §4). */
export const MAX_BATCH_UPDATES = 1000;

/**
 * One batch item: addressed by `memberId` or by the source's `sourceRef` (exactly one; checked in
 * code so the refusal names the field). `organizationId` places a member an unknown `sourceRef`
 * creates, needed only when the source serves more than one organization.
 */
export const BATCH_ITEM_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'occurredAt', 'changes'],
  properties: {
    memberId: { type: 'string', pattern: '^mbr_[0-9A-HJKMNP-TV-Z]{26}$' },
    sourceRef: CREATE_PROPERTIES.sourceRef,
    organizationId: CREATE_PROPERTIES.organizationId,
    eventId: CREATE_PROPERTIES.eventId,
    occurredAt: CREATE_PROPERTIES.occurredAt,
    changes: CHANGES_SCHEMA,
  },
};

/** The batch envelope; items are validated one by one, so one bad item fails only itself. */
export const BATCH_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['updates'],
  properties: {
    updates: { type: 'array', minItems: 1, maxItems: MAX_BATCH_UPDATES, items: { type: 'object' } },
  },
};

/** The OpenAPI shape of a batch (items in full). */
export const BATCH_DOCUMENT_SCHEMA: JsonSchema = {
  ...BATCH_SCHEMA,
  properties: {
    updates: { type: 'array', minItems: 1, maxItems: MAX_BATCH_UPDATES, items: BATCH_ITEM_SCHEMA },
  },
};
