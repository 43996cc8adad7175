import type { DataCategory, PartnerScope } from '@app/common';
import { createClient, setupPartner, sql, type PartnerSetup } from './identity-fixtures';
import { clientToken } from './member-fixtures';
import type { TestApi } from './test-app';

/** Registration never accepts loopback: subscriptions register a public literal, then the test repoints them. */
export const PUBLIC_SUBSCRIPTION_URL = 'https://93.184.216.34/hooks/member-sync';

export interface SubscribedPartner extends PartnerSetup {
  /** The partner client's token (subscriptions:manage and the given scopes). */
  token: string;
  subscriptionId: string;
  /** The subscription's signing secret (whsec_…). */
  secret: string;
  /** The receiver path the subscription now points at. */
  path: string;
}

/**
 * A benefits admin seeing `sourceOrganizationId`, with a client holding `scopes`, subscribed to
 * `events`; the subscription is registered at a public URL (the SSRF guard refuses loopback) and
 * then repointed at https://127.0.0.1:`receiverPort``path(id)`.
 */
export async function subscribePartner(
  api: TestApi,
  options: {
    officerToken: string;
    securityToken: string;
    sourceOrganizationId: string;
    receiverPort: number;
    categories: DataCategory[];
    scopes: PartnerScope[];
    events: string[];
    /** The receiver path of subscription `id`; /hooks/<id> by default. */
    path?: (id: string) => string;
  },
): Promise<SubscribedPartner> {
  const setup = await setupPartner(api, options.officerToken, {
    type: 'benefits_admin',
    categories: options.categories,
  });
  await sql(api, 'update partner set organization_ids = organization_ids || $1::text where id = $2', [
    options.sourceOrganizationId,
    setup.partnerId,
  ]);
  const client = await createClient(api, options.securityToken, setup.partnerId, {
    authMethod: 'client_secret_basic',
    scopes: options.scopes,
  });
  const token = await clientToken(api, client);
  const created = await api
    .http()
    .post('/api/v1/webhook-subscriptions')
    .set('authorization', `Bearer ${token}`)
    .send({ url: PUBLIC_SUBSCRIPTION_URL, events: options.events });
  if (created.status !== 201) throw new Error(`subscription: ${created.status} ${created.text}`);
  const id = created.body.id as string;
  const path = (options.path ?? ((sub: string) => `/hooks/${sub}`))(id);
  await sql(api, 'update webhook_subscription set url = $1 where id = $2', [
    `https://127.0.0.1:${options.receiverPort}${path}`,
    id,
  ]);
  return { ...setup, token, subscriptionId: id, secret: created.body.secret as string, path };
}
