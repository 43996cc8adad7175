import { faker } from '@faker-js/faker';
import { SyntheticMemberGenerator } from '@app/members';
import type { TestApi } from './test-app';

/**
 * A synthetic member body for POST /api/v1/members, from the seeded generator: the suite's global
 * faker seed picks the generator seed, so a suite gets the same members on every run. Fixtures
 * always have a dependent, because suites look for a dependent's name as a canary.
 */
export function syntheticMember(organizationId: string, overrides: Record<string, unknown> = {}) {
  const member = new SyntheticMemberGenerator(faker.number.int({ max: 2 ** 31 - 1 }), {
    minDependents: 1,
  }).member(0);
  return {
    eventId: `evt-${faker.string.alphanumeric(12)}`,
    organizationId,
    ...member,
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
