import { faker } from '@faker-js/faker';
import type { TestApi } from './test-app';

/** A synthetic member body for POST /api/v1/members; every value is generated (fixed seed per suite). */
export function syntheticMember(organizationId: string, overrides: Record<string, unknown> = {}) {
  const givenName = faker.person.firstName();
  const familyName = faker.person.lastName();
  return {
    eventId: `evt-${faker.string.alphanumeric(12)}`,
    occurredAt: '2026-11-23T09:00:00Z',
    sourceRef: `src-${faker.string.alphanumeric(16)}`,
    organizationId,
    identity: {
      givenName,
      familyName,
      dateOfBirth: faker.date.birthdate({ min: 18, max: 80, mode: 'age' }).toISOString().slice(0, 10),
      sex: faker.helpers.arrayElement(['female', 'male', 'other', 'unknown']),
    },
    governmentId: {
      ssn: `9${faker.string.numeric(2)}-${faker.string.numeric(2)}-${faker.string.numeric(4)}`,
    },
    contact: {
      email: faker.internet
        .email({ firstName: givenName, lastName: familyName, provider: 'example.test' })
        .toLowerCase(),
      phone: `+1555${faker.string.numeric(7)}`,
      address: {
        line1: faker.location.streetAddress(),
        line2: null,
        city: faker.location.city(),
        state: faker.location.state({ abbreviated: true }),
        postalCode: faker.location.zipCode('#####'),
        country: 'US',
      },
    },
    membership: {
      externalMemberNumber: `EMN-${faker.string.alphanumeric(10)}`,
      employerGroupId: `GRP-${faker.string.numeric(5)}`,
    },
    coverage: {
      planCode: 'PPO-GOLD',
      coverageTier: 'employee_spouse',
      effectiveDate: '2026-01-01',
      terminationDate: null,
      status: 'active',
    },
    dependents: [
      { givenName: faker.person.firstName(), familyName, dateOfBirth: '2016-04-01', relationship: 'child' },
    ],
    wellness: { programs: [{ programCode: 'STEPS-2026', enrolledAt: '2026-02-01', status: 'active' }] },
    preferences: { channel: 'email', language: 'en', marketingOptIn: false },
    ...overrides,
  };
}

export async function createMember(api: TestApi, token: string, body: object): Promise<string> {
  const res = await api.http().post('/api/v1/members').set('authorization', `Bearer ${token}`).send(body);
  if (res.status !== 201) throw new Error(`create member: ${res.status} ${res.text}`);
  return res.body.id as string;
}

export async function clientToken(
  api: TestApi,
  client: { clientId: string; clientSecret?: string },
  scope?: string,
) {
  const res = await api
    .http()
    .post('/oauth/token')
    .auth(client.clientId, client.clientSecret!)
    .type('form')
    .send({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.access_token as string;
}
