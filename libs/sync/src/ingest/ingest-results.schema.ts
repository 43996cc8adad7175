type JsonSchema = Record<string, unknown>;

const MEMBER_ID = { type: 'string', pattern: '^mbr_[0-9A-HJKMNP-TV-Z]{26}$' };
const CASE_ID = { type: 'string', pattern: '^rcn_[0-9A-HJKMNP-TV-Z]{26}$' };
const FIELD_CONFLICTS = {
  type: 'array',
  items: {
    type: 'object',
    required: ['field', 'reason'],
    properties: {
      field: { type: 'string', description: 'JSON path of the field, e.g. identity.familyName' },
      reason: { type: 'string', enum: ['stale', 'not_owner', 'manual'] },
    },
  },
};

/** An update's answer (OpenAPI): applied (fields skipped as stale or held in a case listed) or duplicate. */
export const UPDATE_RESULT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['result', 'id', 'version'],
  properties: {
    result: { type: 'string', enum: ['applied', 'duplicate'] },
    id: MEMBER_ID,
    version: { type: 'integer', minimum: 1 },
    created: { type: 'boolean', description: 'true when an unknown sourceRef created the member' },
    skipped: FIELD_CONFLICTS,
    caseId: CASE_ID,
  },
};

/** A batch's answer: one result per update, in order. */
export const BATCH_RESULT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['result'],
        properties: {
          result: { type: 'string', enum: ['applied', 'duplicate', 'conflict', 'rejected'] },
          id: MEMBER_ID,
          version: { type: 'integer', minimum: 1 },
          created: { type: 'boolean' },
          skipped: FIELD_CONFLICTS,
          fields: {
            description: 'conflict: the fields not applied and why; rejected: the invalid fields',
            oneOf: [FIELD_CONFLICTS, { type: 'array', items: { type: 'string' } }],
          },
          caseId: CASE_ID,
          type: { type: 'string', description: 'rejected: the problem type (as in a problem+json body)' },
          detail: { type: 'string' },
        },
      },
    },
  },
};
