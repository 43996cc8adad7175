import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AppConfig, PARTNER_SCOPES } from '@app/common';
import { documentIdempotencyKey } from '@app/sync';

/**
 * The OpenAPI document of the API application (after its prefix and versioning are set): the one
 * place it is built, for the served /api/openapi.json and for `npm run sdk:generate`.
 */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Member-sync API')
    .setDescription(
      'Keeps member data in step between a B2B platform and a membership system. All data is ePHI.',
    )
    .setVersion('1')
    .addOAuth2(
      {
        type: 'oauth2',
        description: 'Partner clients: client credentials (client_secret_basic or private_key_jwt)',
        flows: {
          clientCredentials: {
            tokenUrl: config.auth.tokenEndpoint,
            scopes: Object.fromEntries(PARTNER_SCOPES.map((s) => [s, s])),
          },
        },
      },
      'partnerToken',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Admin session token (password + TOTP)',
      },
      'adminToken',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'Per-integration key, sync:write only',
      },
      'apiKey',
    )
    .build();
  return documentProblemResponses(
    documentPathParameters(documentIdempotencyKey(SwaggerModule.createDocument(app, builder))),
  );
}

type Parameter = { name?: string; in?: string; $ref?: string };

/**
 * Declares every `{name}` of a path template as a required string path parameter where the
 * controller's parameter class carries no OpenAPI metadata (a validated `@Param()` DTO documents
 * nothing by itself): without it, generated clients cannot fill the path in.
 */
export function documentPathParameters(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    if (names.length === 0) continue;
    for (const operation of Object.values(item as Record<string, { parameters?: Parameter[] }>)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      operation.parameters ??= [];
      const declared = new Set(operation.parameters.filter((p) => p.in === 'path').map((p) => p.name));
      const missing = names.filter((name) => !declared.has(name));
      operation.parameters.unshift(
        ...missing.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      );
    }
  }
  return document;
}

type Operation = {
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  'x-required-scopes'?: string[];
};

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/**
 * Documents the RFC 9457 problem every refusal answers, where it can be told from the operation
 * itself: 400 when it takes input, 401 when it needs credentials, 403 when it needs a scope, 404
 * when it names a resource in its path. Statuses a controller documented itself are kept.
 */
export function documentProblemResponses(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = {
    type: 'object',
    description: 'RFC 9457 problem details; `type` is stable, `detail` never carries member data',
    required: ['type', 'title', 'status', 'instance', 'requestId'],
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string' },
      instance: { type: 'string' },
      requestId: { type: 'string' },
    },
    additionalProperties: true,
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item as Record<string, Operation>)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const secured = (operation.security ?? []).some((requirement) => Object.keys(requirement).length > 0);
      const scoped =
        (operation['x-required-scopes'] ?? []).length > 0 ||
        (operation.security ?? []).some((requirement) =>
          Object.values(requirement).some((s) => s.length > 0),
        );
      const refusals: Array<[string, string, boolean]> = [
        [
          '400',
          'The request did not pass validation',
          Boolean(operation.requestBody) || (operation.parameters ?? []).length > 0,
        ],
        ['401', 'Authentication is required or failed', secured],
        ['403', 'The caller may not perform this action', secured && scoped],
        ['404', 'The resource does not exist', path.includes('{')],
      ];
      for (const [status, description, applies] of refusals) {
        if (!applies || status in operation.responses) continue;
        operation.responses[status] = {
          description,
          content: { 'application/problem+json': { schema: PROBLEM_REF } },
        };
      }
    }
  }
  return document;
}
