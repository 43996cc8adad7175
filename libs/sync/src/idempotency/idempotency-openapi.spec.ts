import type { OpenAPIObject } from '@nestjs/swagger';
import { documentIdempotencyKey } from './idempotency-openapi';

const REF = { $ref: '#/components/parameters/IdempotencyKey' };

function document(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/api/v1/admin/organizations': { post: { responses: {} } },
      '/api/v1/members/{memberId}': {
        get: { responses: {} },
        delete: { responses: {}, parameters: [{ name: 'memberId', in: 'path' }] },
      },
      '/api/v1/members/{memberId}/preferences': { put: { responses: {} } },
      '/oauth/token': { post: { responses: {}, 'x-public': true } as never },
    },
  };
}

describe('documentIdempotencyKey', () => {
  it('declares the header once as a shared parameter, optional and bounded to 255 characters', () => {
    const sut = documentIdempotencyKey(document());
    expect(sut.components?.parameters?.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { maxLength: 255 },
    });
  });

  it('references it from POST, PUT and DELETE operations, keeping their own parameters', () => {
    const sut = documentIdempotencyKey(document());
    expect(sut.paths['/api/v1/admin/organizations'].post?.parameters).toEqual([REF]);
    expect(sut.paths['/api/v1/members/{memberId}/preferences'].put?.parameters).toEqual([REF]);
    expect(sut.paths['/api/v1/members/{memberId}'].delete?.parameters).toEqual([
      { name: 'memberId', in: 'path' },
      REF,
    ]);
  });

  it('leaves reads and public routes (not covered) without it', () => {
    const sut = documentIdempotencyKey(document());
    expect(sut.paths['/api/v1/members/{memberId}'].get?.parameters).toBeUndefined();
    expect(sut.paths['/oauth/token'].post?.parameters).toBeUndefined();
  });

  it('adds the reference once when applied twice', () => {
    const sut = documentIdempotencyKey(documentIdempotencyKey(document()));
    expect(sut.paths['/api/v1/admin/organizations'].post?.parameters).toEqual([REF]);
  });
});
