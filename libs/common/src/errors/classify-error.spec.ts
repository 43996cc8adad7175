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

  it('keeps field names and rule names of a validation failure', () => {
    const sut = classifyError(new RequestValidationFailed([{ field: 'contact.email', rules: ['isEmail'] }]));
    expect(sut.extensions).toEqual({ errors: [{ field: 'contact.email', rules: ['isEmail'] }] });
  });
});
