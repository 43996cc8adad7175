import { Writable } from 'node:stream';
import { faker } from '@faker-js/faker';
import pino from 'pino';
import { compileLogCensor, pathSegments } from './log-censor';
import { createLoggerOptions, logRedactPaths } from './logger-options';
import { REDACTED, serializeRequest } from './redaction';

// Sensitive names as the app declares them (a sample of the ePHI catalog's shape).
const SENSITIVE = ['givenName', 'ssn', 'email', 'identity', 'dependents', 'contact'];
const KEYS = [
  ...SENSITIVE,
  'password',
  'totp',
  'clientSecret',
  'body',
  'headers',
  'authorization',
  'cookie',
  'x-api-key',
  'req',
  'res',
  'member',
  'change',
  'items',
  'note',
  'id',
];

describe('pathSegments', () => {
  it.each([
    ['req.headers["x-api-key"]', ['req', 'headers', 'x-api-key']],
    ["headers['cookie']", ['headers', 'cookie']],
    ['*.*.givenName', ['*', '*', 'givenName']],
    ['password', ['password']],
  ])('splits %s', (path, segments) => {
    expect(pathSegments(path)).toEqual(segments);
  });
});

describe('compileLogCensor', () => {
  const sut = compileLogCensor(logRedactPaths(SENSITIVE), REDACTED);

  it.each([
    ['a top-level sensitive key, whatever its value', 'ssn', { a: 1 }, REDACTED],
    ['a key nested once', 'member', { email: 'x', id: 'm1' }, { email: REDACTED, id: 'm1' }],
    [
      'a key nested twice',
      'change',
      { identity2: { givenName: 'x' } },
      { identity2: { givenName: REDACTED } },
    ],
    ['array items under a wildcard', 'member', [{ email: 'x' }], [{ email: REDACTED }]],
    [
      'a secret header',
      'req',
      { headers: { authorization: 'Bearer x', accept: '*/*' } },
      { headers: { authorization: REDACTED, accept: '*/*' } },
    ],
    ['nothing at a fourth level', 'a', { b: { c: { email: 'x' } } }, { b: { c: { email: 'x' } } }],
  ])('censors %s', (_what, key, value, expected) => {
    expect(sut.value(key, value)).toEqual(expected);
  });

  it('never changes the logged object and returns it as is when nothing is censored', () => {
    const member = { email: 'x', id: 'm1' };
    expect(sut.value('member', member)).not.toBe(member);
    expect(member.email).toBe('x');
    const plain = { id: 'm1', nested: { note: 'n' } };
    expect(sut.value('member', plain)).toBe(plain);
  });
});

/** A random JSON-like value built from the keys paths name, nested a few levels, with arrays. */
function randomValue(depth: number): unknown {
  const kind = faker.number.int({ min: 0, max: depth > 3 ? 3 : 6 });
  switch (kind) {
    case 0:
      return faker.lorem.word();
    case 1:
      return faker.number.int({ max: 1000 });
    case 2:
      // No undefined: JSON leaves such a key out, where pino's redact wrote its censor in (no value either way).
      return faker.helpers.arrayElement([null, true, false]);
    case 3:
      return faker.string.alphanumeric(6);
    case 4:
      return Array.from({ length: faker.number.int({ min: 0, max: 3 }) }, () => randomValue(depth + 1));
    default:
      return randomObject(depth + 1);
  }
}

function randomObject(depth = 0): Record<string, unknown> {
  const keys = faker.helpers.arrayElements(KEYS, { min: 1, max: 5 });
  return Object.fromEntries(keys.map((key) => [key, randomValue(depth)]));
}

function lines(options: pino.LoggerOptions) {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ ...options, base: undefined, timestamp: false }, sink), out };
}

describe('logger censoring', () => {
  // A serialized key censored after its serializer (res passes through, so its headers reach the censor).
  const serializers = {
    req: (req: unknown) => (req && typeof req === 'object' ? serializeRequest(req) : req),
    res: (res: unknown) => res,
  };

  it('writes exactly what pino’s own redact paths write, for 3,000 random objects and bindings', () => {
    faker.seed(8080);
    const ours = lines({ ...createLoggerOptions({ level: 'info', pretty: false }, SENSITIVE), serializers });
    // The reference: the same paths through pino's own `redact`, the same serializers and scrub.
    const reference = lines({
      level: 'info',
      redact: { paths: logRedactPaths(SENSITIVE), censor: REDACTED },
      serializers,
      hooks: { streamWrite: createLoggerOptions({ level: 'info', pretty: false }).hooks!.streamWrite },
    });
    for (let i = 0; i < 3000; i += 1) {
      const obj = randomObject();
      for (const { logger } of [ours, reference]) {
        // A copy each time: pino's redact writes its censor into the logged object in some cases.
        logger.info(structuredClone(obj), 'line');
        logger.child(structuredClone(obj)).info('child line');
      }
    }
    expect(ours.out.length).toBe(6000);
    expect(ours.out).toEqual(reference.out);
    // A positive control: the random objects did hold values to censor.
    expect(ours.out.join('').split(REDACTED).length).toBeGreaterThan(1000);
  });

  it('censors an error’s own sensitive fields and keeps its message and stack', () => {
    const { logger, out } = lines(createLoggerOptions({ level: 'info', pretty: false }, SENSITIVE));
    const error = Object.assign(new Error('insert failed'), { email: 'x@y', detail: { ssn: 'z' } });
    logger.error({ err: error }, 'failed');
    const line = JSON.parse(out[0]);
    expect(line.err).toMatchObject({ message: 'insert failed', email: REDACTED, detail: { ssn: REDACTED } });
    expect(line.err.stack).toContain('insert failed');
  });
});
