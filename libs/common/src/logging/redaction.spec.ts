import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLoggerOptions } from './logger-options';
import { LOGGED_PATH_MAX, scrubText, serializeRequest } from './redaction';

// Synthetic canaries: shaped like identifiers, belonging to nobody.
const CANARY = {
  ssn: '900-12-3456',
  ssnDigits: '900123456',
  email: 'canary.member+77@example.test',
  dob: '1979-02-28',
  dobUs: '02/28/1979',
  phone: '(555) 010-4477',
  phoneE164: '+1 555.010.4478',
};

describe('scrubText', () => {
  it.each(Object.entries(CANARY))('removes a %s from free text', (_kind, value) => {
    const sut = scrubText(`member said ${value} on the phone`);
    expect(sut).not.toContain(value);
    expect(sut).toMatch(/\[REDACTED:\w+\]/);
  });

  it('removes an email whose local part is longer than an address may be', () => {
    const sut = scrubText(`from ${'q'.repeat(90)}@example.test`);
    expect(sut).not.toContain('@example.test');
    expect(sut).toContain('[REDACTED:email]');
  });

  it('removes back-to-back emails and leaves lone at signs alone', () => {
    expect(scrubText('a.b@example.test,c@example.org @handle x@y')).toBe(
      '[REDACTED:email],[REDACTED:email] @handle x@y',
    );
  });

  // 15 KB runs of what a URL path may hold (letters, digits, dots, dashes, at signs): the old email
  // pattern tried every start of a local part and took ~0.3 s on each; a linear scan takes well under 1 ms.
  it.each([
    ['letters, digits, dots and dashes', 'a1.b-'],
    ['digits', '1234567890'],
    ['digits with dashes', '123-45-'],
    ['at signs', 'a@'],
    ['a domain with no end', 'b.'],
    ['phone-like runs', '+1 555.'],
  ])('scrubs 15 KB of %s in linear time', (_shape, unit) => {
    const text = `x@${unit.repeat(Math.ceil(15_000 / unit.length))}`;
    const timings = Array.from({ length: 3 }, () => {
      const started = performance.now();
      scrubText(text);
      return performance.now() - started;
    });
    expect(Math.min(...timings)).toBeLessThan(20);
  });

  it('leaves epoch timestamps, durations and request ids alone', () => {
    const line = '{"time":1795430400000,"responseTime":12,"reqId":"3f1c2a9e-5b7d-4c1e-9f00-123456789abc"}';
    expect(scrubText(line)).toBe(line);
  });
});

describe('serializeRequest', () => {
  it('drops the query string and keeps the route template', () => {
    expect(
      serializeRequest({ id: 'r1', method: 'GET', url: '/api/v1/members?email=x@example.test' }),
    ).toEqual({
      id: 'r1',
      method: 'GET',
      path: '/api/v1/members',
    });
    expect(
      serializeRequest({
        method: 'GET',
        url: '/api/v1/members/mbr_1',
        routeOptions: { url: '/api/v1/members/:id' },
      }),
    ).toMatchObject({ path: '/api/v1/members/:id' });
    expect(
      serializeRequest({
        method: 'GET',
        url: '/api/v1/members/mbr_1',
        raw: { routeTemplate: '/api/v1/members/:memberId' },
      }),
    ).toEqual({
      id: undefined,
      method: 'GET',
      path: '/api/v1/members/:memberId',
      target: '/api/v1/members/mbr_1',
    });
  });

  it('cuts an unmatched path to a fixed length and never keeps a query that starts within it', () => {
    const sut = serializeRequest({ method: 'GET', url: `/${'a.b-'.repeat(4000)}?q=canary` });
    expect(sut.path.length).toBeLessThanOrEqual(LOGGED_PATH_MAX);
    expect(serializeRequest({ url: `/x?${'q'.repeat(200)}` }).path).toBe('/x');
  });
});

describe('logger options', () => {
  function captureLogger(sensitiveKeys: string[] = []) {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const options = createLoggerOptions({ level: 'info', pretty: false }, sensitiveKeys);
    return { logger: pino(options, sink), lines };
  }

  it('censors secret headers and bodies, and scrubs canaries anywhere in a line', () => {
    const { logger, lines } = captureLogger();
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer canary-token-abc',
            'webhook-signature': 'v1,canary-signature',
            'idempotency-key': 'canary-idem-key',
            cookie: 'session=canary-cookie',
          },
          body: { note: 'canary-body-value' },
        },
        note: `lookup for ${CANARY.email} born ${CANARY.dob}`,
      },
      `ssn ${CANARY.ssn} phone ${CANARY.phone}`,
    );
    const out = lines.join('');
    for (const secret of [
      'canary-token-abc',
      'canary-signature',
      'canary-idem-key',
      'canary-cookie',
      'canary-body-value',
      ...Object.values(CANARY),
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[REDACTED]');
  });

  it('leaves the object it logs unchanged while censoring the line', () => {
    const { logger, lines } = captureLogger(['givenName', 'identity']);
    const change = { identity: { givenName: 'canary-kept' } };
    logger.info({ change }, 'x');
    expect(change.identity.givenName).toBe('canary-kept');
    expect(lines.join('')).not.toContain('canary-kept');
  });

  it('scrubs canaries inside a logged error message and stack', () => {
    const { logger, lines } = captureLogger();
    logger.error({ err: new Error(`duplicate key (ssn)=(${CANARY.ssn})`) }, 'insert failed');
    expect(lines.join('')).not.toContain(CANARY.ssn);
  });

  it('censors the keys the app declares sensitive at any depth up to three, whatever the value', () => {
    const { logger, lines } = captureLogger(['givenName', 'identity']);
    logger.info(
      {
        givenName: 'canary-top',
        member: { givenName: 'canary-nested' },
        change: { identity: { x: 'canary-group' } },
      },
      'x',
    );
    const out = lines.join('');
    expect(out).not.toContain('canary-top');
    expect(out).not.toContain('canary-nested');
    expect(out).not.toContain('canary-group');
  });
});
