import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { classifyError } from './classify-error';
import { RequestValidationFailed } from './domain-error';
import { MalformedJsonBody } from '../http/json-body-parser';

describe('classifyError', () => {
  it.each([
    [
      'a validation failure',
      new RequestValidationFailed([{ field: 'email', rules: ['isEmail'] }]),
      'validation-failed',
    ],
    ['malformed JSON', new MalformedJsonBody(), 'malformed-json'],
    ['Nest 404', new NotFoundException('Cannot GET /secret?ssn=1'), 'not-found'],
    ['fastify 413', new HttpException('too large', 413), 'payload-too-large'],
    ['fastify 415', new HttpException('Unsupported Media Type: text/plain', 415), 'unsupported-media-type'],
    ['a bare 400', new BadRequestException('quoted value'), 'bad-request'],
    ['a thrown string', 'boom', 'internal-error'],
    ['a plain Error', new Error('select * from member'), 'internal-error'],
  ])('maps %s to %s', (_name, error, type) => {
    expect(classifyError(error).type).toBe(type);
  });

  it('never carries the message of a framework or unknown error to the client', () => {
    expect(classifyError(new NotFoundException('Cannot GET /canary')).detail).toBeUndefined();
    expect(classifyError(new Error('canary sql')).detail).toBeUndefined();
    expect(classifyError(new Error('x')).unexpected).toBe(true);
  });

  it.each([
    ['a command timeout', new Error('Command timed out')],
    ['a closed connection', new Error('Connection is closed.')],
    [
      'spent retries',
      Object.assign(new Error('Reached the max retries per request limit'), {
        name: 'MaxRetriesPerRequestError',
      }),
    ],
  ])('answers Redis unavailable (%s) with 503 and Retry-After, not a bare 500', (_what, error) => {
    const sut = classifyError(error);
    expect(sut.type).toBe('service-unavailable');
    expect(sut.headers).toEqual({ 'retry-after': '5' });
    expect(sut.detail).not.toMatch(/redis|command|retries/i);
  });

  it('answers an exhausted connection pool with 503 and Retry-After, not a bare 500', () => {
    const timeout = Object.assign(
      new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
      {
        name: 'KnexTimeoutError',
      },
    );
    // MikroORM wraps it in a DriverException that keeps the message only.
    const wrapped = Object.assign(new Error(timeout.message), { name: 'DriverException' });
    for (const error of [timeout, wrapped]) {
      const sut = classifyError(error);
      expect(sut.type).toBe('service-unavailable');
      expect(sut.headers).toEqual({ 'retry-after': '1' });
      expect(sut.detail).not.toContain('Knex');
    }
  });

  it('keeps field names and rule names of a validation failure', () => {
    const sut = classifyError(new RequestValidationFailed([{ field: 'contact.email', rules: ['isEmail'] }]));
    expect(sut.extensions).toEqual({ errors: [{ field: 'contact.email', rules: ['isEmail'] }] });
  });
});
