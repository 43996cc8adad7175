import { DATA_CATEGORIES } from '@app/common';
import { MEMBER_DOCUMENT_SCHEMA } from '@app/members';

/** The OpenAPI schema of a `GET /api/v1/changes` page. */
export const CHANGE_FEED_PAGE_SCHEMA = {
  type: 'object',
  required: ['data', 'nextCursor', 'hasMore'],
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'memberId', 'version', 'occurredAt', 'categories', 'data'],
        properties: {
          type: { type: 'string', enum: ['member.created', 'member.updated', 'member.deleted'] },
          memberId: { type: 'string', pattern: '^mbr_[0-9A-HJKMNP-TV-Z]{26}$' },
          version: { type: 'integer', minimum: 1, description: 'the version this change produced' },
          occurredAt: { type: 'string', format: 'date-time' },
          categories: {
            type: 'array',
            items: { type: 'string', enum: [...DATA_CATEGORIES] },
            description: 'the categories this change touched that the caller may see',
          },
          data: {
            ...MEMBER_DOCUMENT_SCHEMA,
            nullable: true,
            description:
              "the member's current projection for the caller (not the values of this version); null when it is deleted",
          },
        },
      },
    },
    nextCursor: { type: 'string', description: 'always set: pass it to resume after this page' },
    hasMore: { type: 'boolean', description: 'more committed changes are waiting: read again at once' },
    withheld: {
      type: 'array',
      items: { type: 'string' },
      description: 'members whose records failed an integrity check; their changes are not in data',
    },
  },
};
