import { RequestValidationFailed } from '@app/common';
import { CREATE_MEMBER_SCHEMA, PREFERENCES_SCHEMA } from './member-schema';
import { SyntheticMemberGenerator } from '../synthetic/synthetic-member.generator';
import { compileValidator } from './schema-validator';

const validCreate = {
  eventId: 'evt-1',
  occurredAt: '2026-11-23T10:00:00Z',
  sourceRef: 'src-00000001',
  organizationId: 'org_00000000000000000000000000',
  identity: { givenName: 'Synthetic', familyName: 'Person', dateOfBirth: '1980-02-29' },
};

function violations(validate: (b: unknown) => unknown, body: unknown) {
  try {
    validate(body);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestValidationFailed);
    return (error as RequestValidationFailed).violations;
  }
  throw new Error('expected a validation failure');
}

describe('catalog-derived validation', () => {
  const create = compileValidator(CREATE_MEMBER_SCHEMA);
  const preferences = compileValidator(PREFERENCES_SCHEMA);

  it('accepts a minimal create', () => {
    expect(create(validCreate)).toBe(validCreate);
  });

  it('names fields and rules, never values', () => {
    const found = violations(create, {
      ...validCreate,
      identity: { ...validCreate.identity, dateOfBirth: '29/02/1980' },
      governmentId: { ssn: 'canary-not-an-ssn' },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        { field: 'identity.dateOfBirth', rules: ['format'] },
        { field: 'governmentId.ssn', rules: expect.arrayContaining(['pattern']) },
      ]),
    );
    expect(JSON.stringify(found)).not.toContain('canary');
  });

  it('reports unknown keys by position, never by the name or SSN they carry', () => {
    const generator = new SyntheticMemberGenerator(4711);
    const { identity, governmentId } = generator.member(0);
    const name = identity.givenName;
    const ssn = governmentId?.ssn ?? '';
    const found = violations(create, {
      ...validCreate,
      [`${name} ${ssn}`]: 1,
      hobbies: [],
      identity: { ...validCreate.identity, [name]: ssn },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        { field: '(unknown property #1)', rules: ['additionalProperties'] },
        { field: '(unknown property #2)', rules: ['additionalProperties'] },
        { field: 'identity.(unknown property #1)', rules: ['additionalProperties'] },
      ]),
    );
    const text = JSON.stringify(found);
    expect(ssn).not.toBe('');
    for (const part of [name, ssn, 'hobbies']) expect(text).not.toContain(part);
  });

  it('names a field the catalog declares when it is sent in the wrong place', () => {
    const found = violations(create, { ...validCreate, ssn: '900-00-0001' });
    expect(found).toEqual([{ field: 'ssn', rules: ['additionalProperties'] }]);
  });

  it('requires the envelope and identity', () => {
    const found = violations(create, { identity: {} });
    expect(found.map((v) => v.field)).toEqual(
      expect.arrayContaining(['eventId', 'occurredAt', 'sourceRef', 'organizationId', 'identity.givenName']),
    );
  });

  it('requires the whole preferences group for a replacement', () => {
    expect(preferences({ channel: 'sms', language: 'es', marketingOptIn: true })).toBeTruthy();
    expect(violations(preferences, { channel: 'pigeon' }).map((v) => v.field)).toEqual(
      expect.arrayContaining(['channel', 'language', 'marketingOptIn']),
    );
  });
});
