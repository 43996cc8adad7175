import type { OpenAPIObject } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENT_METHODS } from './idempotency-key';

const PARAMETER = 'IdempotencyKey';
const REF = `#/components/parameters/${PARAMETER}`;

type Operation = { parameters?: Array<{ $ref?: string; name?: string }>; 'x-public'?: boolean };

/**
 * Documents the Idempotency-Key header once (a shared parameter) and references it from every
 * POST/PUT/PATCH/DELETE that needs a caller: the routes the interceptor covers. Public routes
 * (token endpoint, admin login) are not covered and are left as they are.
 */
export function documentIdempotencyKey(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.parameters ??= {};
  document.components.parameters[PARAMETER] = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: the first request under a key executes and its answer is stored for 24 h ' +
      '(configurable) and replayed, with `Idempotent-Replayed: true`, to a repeat with the same method, ' +
      'route and body. Another request under the key answers 422 `idempotency-key-reused`; a repeat ' +
      'while the first still runs answers 409 `idempotency-key-in-use` with `Retry-After`. On signed ' +
      'webhooks the `webhook-id` serves as the key when none is sent.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
      pattern: '^[\\x20-\\x7E]+$',
    },
  };
  for (const path of Object.values(document.paths)) {
    for (const method of IDEMPOTENT_METHODS) {
      const operation = (path as Record<string, Operation | undefined>)[method.toLowerCase()];
      if (!operation || operation['x-public']) continue;
      operation.parameters ??= [];
      if (!operation.parameters.some((p) => p.$ref === REF)) operation.parameters.push({ $ref: REF });
    }
  }
  return document;
}
