import type { OpenAPIObject } from '@nestjs/swagger';
import { documentPathParameters, documentProblemResponses } from './openapi-document';

const document = (): OpenAPIObject => ({
  openapi: '3.0.0',
  info: { title: 't', version: '1' },
  paths: {
    '/api/v1/admin/partners/{partnerId}/clients/{clientId}/revoke': {
      parameters: [],
      post: {
        responses: { '200': { description: '' } },
        parameters: [
          { name: 'clientId', in: 'path', required: true, schema: { type: 'string', pattern: '^c' } },
        ],
      },
    },
    '/api/v1/members': { get: { responses: { '200': { description: '' } } } },
  },
});

describe('path parameters in the OpenAPI document', () => {
  it('declares a template name the controller left undocumented, and keeps the one it documented', () => {
    const sut = documentPathParameters(document());
    const parameters =
      sut.paths['/api/v1/admin/partners/{partnerId}/clients/{clientId}/revoke'].post!.parameters;
    expect(parameters).toEqual([
      { name: 'partnerId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'clientId', in: 'path', required: true, schema: { type: 'string', pattern: '^c' } },
    ]);
  });

  it('leaves operations without a path template alone', () => {
    expect(documentPathParameters(document()).paths['/api/v1/members'].get!.parameters).toBeUndefined();
  });
});

describe('refusals in the OpenAPI document', () => {
  const secured = (): OpenAPIObject => ({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/api/v1/members/{memberId}': {
        get: {
          responses: { '200': { description: '' } },
          parameters: [{ name: 'memberId', in: 'path', required: true }],
          security: [{ partnerToken: ['members:read'] }],
        },
      },
      '/health/live': { get: { responses: { '200': { description: '' }, '503': { description: 'down' } } } },
      '/metrics': {
        get: {
          responses: { '200': { description: '' }, '401': { description: 'theirs' } },
          security: [{ scraper: [] }],
        },
      },
    },
  });

  it('documents the problem a scoped operation with a path id can answer', () => {
    const sut = documentProblemResponses(secured());
    const responses = sut.paths['/api/v1/members/{memberId}'].get!.responses;
    expect(Object.keys(responses)).toEqual(['200', '400', '401', '403', '404']);
    expect(responses['403']).toEqual({
      description: 'The caller may not perform this action',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(sut.components?.schemas?.Problem).toMatchObject({
      required: expect.arrayContaining(['type', 'status']),
    });
  });

  it('adds nothing to a public operation without input, and keeps what a controller documented', () => {
    const sut = documentProblemResponses(secured());
    expect(Object.keys(sut.paths['/health/live'].get!.responses)).toEqual(['200', '503']);
    expect(sut.paths['/metrics'].get!.responses['401']).toEqual({ description: 'theirs' });
    expect(sut.paths['/metrics'].get!.responses['403']).toBeUndefined();
  });
});
