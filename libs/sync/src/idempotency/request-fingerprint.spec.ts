import { canonicalJson, requestFingerprint } from './request-fingerprint';

describe('canonicalJson', () => {
  it.each([
    [
      'sorts keys at every depth',
      { b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } },
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    ],
    ['keeps array order', [3, 1, 2], '[3,1,2]'],
    ['escapes strings as JSON does', { 'k"': 'line\nbreak' }, '{"k\\"":"line\\nbreak"}'],
    ['drops undefined members', { a: undefined, b: 1 }, '{"b":1}'],
    ['writes undefined array items as null', [undefined], '[null]'],
    ['keeps primitives', 'text', '"text"'],
    ['keeps booleans and numbers', { t: true, n: 1.5 }, '{"n":1.5,"t":true}'],
  ])('%s', (_case, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});

describe('requestFingerprint', () => {
  const routeTemplate = '/api/v1/admin/organizations';
  const raw = (text: string) => ({ rawBody: Buffer.from(text), body: JSON.parse(text) as unknown });
  const original = requestFingerprint({ method: 'POST', routeTemplate, ...raw('{"name":"x"}') });

  it('is the same for the same bytes on the same method and route', () => {
    const sut = requestFingerprint({ method: 'post', routeTemplate, ...raw('{"name":"x"}') });
    expect(sut.equals(original)).toBe(true);
  });

  it.each([
    ['another body', 'POST', routeTemplate, '{"name":"y"}'],
    ['the same document in other bytes', 'POST', routeTemplate, '{ "name": "x" }'],
    ['another method', 'PUT', routeTemplate, '{"name":"x"}'],
    ['another route', 'POST', '/api/v1/admin/vendors', '{"name":"x"}'],
  ])('differs for %s', (_case, method, template, text) => {
    expect(requestFingerprint({ method, routeTemplate: template, ...raw(text) }).equals(original)).toBe(
      false,
    );
  });

  it('differs between no body and a body', () => {
    const sut = requestFingerprint({ method: 'POST', routeTemplate });
    expect(sut.equals(original)).toBe(false);
  });

  it('without the bytes, hashes the canonical JSON of the parsed body (key order does not matter)', () => {
    const sut = requestFingerprint({ method: 'POST', routeTemplate, body: { b: 1, a: 2 } });
    expect(sut.equals(requestFingerprint({ method: 'POST', routeTemplate, body: { a: 2, b: 1 } }))).toBe(
      true,
    );
    expect(sut.equals(requestFingerprint({ method: 'POST', routeTemplate, body: { a: 2, b: 2 } }))).toBe(
      false,
    );
  });

  it('is 32 bytes (SHA-256)', () => {
    expect(requestFingerprint({ method: 'DELETE', routeTemplate: '/api/v1/members/:memberId' })).toHaveLength(
      32,
    );
  });
});
