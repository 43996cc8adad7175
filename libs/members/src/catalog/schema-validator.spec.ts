import { RequestValidationFailed } from '@app/common';
import { CREATE_MEMBER_SCHEMA, PREFERENCES_SCHEMA } from './member-schema';
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

  it('refuses unknown groups and fields without echoing odd property names', () => {
    const found = violations(create, { ...validCreate, 'canary 900-00-0001': 1, hobbies: [] });
    expect(found).toEqual(expect.arrayContaining([{ field: 'hobbies', rules: ['additionalProperties'] }]));
    expect(JSON.stringify(found)).not.toContain('900-00-0001');
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
