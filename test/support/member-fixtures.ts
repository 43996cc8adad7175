import { randomUUID } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { Clock } from '@app/common';
import { webhookHeaders } from '@app/crypto';
import { SyntheticMemberGenerator } from '@app/members';
import { WebhookSecretsService } from '@app/sync';
import { sql } from './identity-fixtures';
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

/** A signed create (see `postSigned`); throws unless it answers 201. */
export async function createMember(api: TestApi, token: string, body: object): Promise<string> {
  const res = await postSigned(api, token, '/api/v1/members', body);
  if (res.status !== 201) throw new Error(`create member: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/**
 * POSTs `body` with the partner token, signed per Standard Webhooks with the token's partner's
 * inbound secret (registered on first use) at the app's clock, over the exact bytes sent.
 */
export async function postSigned(
  api: TestApi,
  token: string,
  path: string,
  body: object | string,
  headers: Record<string, string> = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const secret = await webhookSecretFor(api, await partnerOfToken(api, token));
  return api
    .http()
    .post(path)
    .set('authorization', `Bearer ${token}`)
    .set('content-type', 'application/json')
    .set({ ...signatureHeaders(api, secret, text), ...headers })
    .send(text);
}

/** Standard Webhooks headers for `text`, signed with `secret` at the app's clock (or `timestamp`). */
export function signatureHeaders(
  api: TestApi,
  secret: string,
  text: string,
  options: { id?: string; timestamp?: number } = {},
): Record<string, string> {
  return {
    ...webhookHeaders(
      secret,
      options.id ?? `msg_${randomUUID()}`,
      options.timestamp ?? api.app.get(Clock).nowSeconds(),
      text,
    ),
  };
}

const registered = new WeakMap<TestApi, Map<string, Promise<string>>>();

/** The partner's inbound secret for this suite's app, created once through the service (a fixture actor). */
export function webhookSecretFor(api: TestApi, partnerId: string): Promise<string> {
  let secrets = registered.get(api);
  if (!secrets) registered.set(api, (secrets = new Map()));
  let secret = secrets.get(partnerId);
  if (!secret) {
    secret = api.app
      .get(WebhookSecretsService)
      .create(partnerId, {
        system: 'test:fixtures',
        request: { ip: '127.0.0.1', method: 'CLI', route: 'test fixtures', requestId: randomUUID() },
      })
      .then((created) => created.secret);
    secrets.set(partnerId, secret);
  }
  return secret;
}

/** The partner behind a partner access token: its `client_id` claim names the OAuth client. */
export async function partnerOfToken(api: TestApi, token: string): Promise<string> {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  const [client] = await sql<{ partner_id: string }>(
    api,
    'select partner_id from oauth_client where id = $1',
    [claims.client_id],
  );
  if (!client) throw new Error('the token names no OAuth client of this suite');
  return client.partner_id;
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
