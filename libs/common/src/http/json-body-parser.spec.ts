import Fastify from 'fastify';
import { acceptJsonBodiesOnly, JsonTooDeep, jsonDepthExceeds, MAX_JSON_DEPTH } from './json-body-parser';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('jsonDepthExceeds', () => {
  it.each([
    ['a flat object', '{"a":1,"b":[1,2]}', 2, false],
    ['exactly the limit', nested(3), 3, false],
    ['one level over the limit', nested(4), 3, true],
    ['objects and arrays mixed', '{"a":{"b":[{"c":1}]}}', 3, true],
    ['brackets inside a string', '{"a":"[[[[{{{{"}', 1, false],
    ['an escaped quote inside a string', '{"a":"\\"[[[["}', 1, false],
    ['an escaped backslash before the closing quote', '{"a":"\\\\","b":[[1]]}', 2, true],
    ['siblings that never nest', '[[1],[2],[3],[4]]', 2, false],
  ])('%s', (_name, text, limit, expected) => {
    expect(jsonDepthExceeds(text, limit)).toBe(expected);
  });
});

describe('acceptJsonBodiesOnly', () => {
  async function post(payload: string) {
    const sut = Fastify();
    acceptJsonBodiesOnly(sut);
    let refused: unknown;
    sut.setErrorHandler((error, _request, reply) => {
      refused = error;
      void reply.code(400).send();
    });
    sut.post('/', () => Promise.resolve({ ok: true }));
    const res = await sut.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    await sut.close();
    return { status: res.statusCode, refused };
  }

  it('refuses a 5,000-deep array under an unknown key before parsing it', async () => {
    const { refused } = await post(`{"name":"ok","unknown":${nested(5000)}}`);
    expect(refused).toBeInstanceOf(JsonTooDeep);
  });

  it(`accepts a body nested exactly ${MAX_JSON_DEPTH} levels`, async () => {
    expect((await post(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`)).status).toBe(200);
  });
});
