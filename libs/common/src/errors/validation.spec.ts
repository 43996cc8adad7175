import { faker } from '@faker-js/faker';
import { Type } from 'class-transformer';
import { IsEmail, IsString, MaxLength, ValidateNested } from 'class-validator';
import { RequestValidationFailed } from './domain-error';
import { createValidationPipe } from './validation';

faker.seed(90210);

class AddressBody {
  @IsString()
  @MaxLength(20)
  city: string;
}

class ContactBody {
  @IsEmail()
  email: string;

  @ValidateNested()
  @Type(() => AddressBody)
  address: AddressBody;
}

/** A made-up key as an attacker (or a careless client) would send it: a name and an SSN. */
const nameAndSsn = () => ({
  name: faker.person.firstName(),
  ssn: `${faker.string.numeric(3)}-${faker.string.numeric(2)}-${faker.string.numeric(4)}`,
});

async function violationsOf(body: unknown) {
  const sut = createValidationPipe();
  try {
    await sut.transform(body, { type: 'body', metatype: ContactBody });
  } catch (error) {
    expect(error).toBeInstanceOf(RequestValidationFailed);
    const failure = error as RequestValidationFailed;
    return {
      violations: failure.violations,
      text: `${failure.message} ${JSON.stringify(failure.extensions)}`,
    };
  }
  throw new Error('expected a validation failure');
}

describe('createValidationPipe', () => {
  it('names declared fields and their rules, never the values', async () => {
    const { violations, text } = await violationsOf({ email: 'canary-not-an-email', address: { city: 7 } });
    expect(violations).toEqual([
      { field: 'email', rules: ['isEmail'] },
      { field: 'address.city', rules: ['maxLength', 'isString'] },
    ]);
    expect(text).not.toContain('canary');
  });

  it('reports unknown keys by position and never repeats the name or SSN they carry', async () => {
    const first = nameAndSsn();
    const second = nameAndSsn();
    const { violations, text } = await violationsOf({
      email: 'a@example.test',
      address: { city: 'x', [`${second.name} ${second.ssn}`]: 1 },
      [`${first.name} ${first.ssn}`]: 1,
      [first.name]: 2,
    });
    expect(violations).toEqual(
      expect.arrayContaining([
        { field: '(unknown property #1)', rules: ['whitelistValidation'] },
        { field: '(unknown property #2)', rules: ['whitelistValidation'] },
        { field: 'address.(unknown property #1)', rules: ['whitelistValidation'] },
      ]),
    );
    for (const part of [first.name, first.ssn, second.name, second.ssn]) expect(text).not.toContain(part);
  });
});
