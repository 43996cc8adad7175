import { AdminUsersService, totpCode } from '@app/identity';
import type { BenchStack } from './bench-stack';
import { expectStatus, httpsJson } from './https-json';
import { ALL_CATEGORIES } from './partner-client';

/** A membership-system source as the sync benchmarks drive it: its client, token and inbound signing secret. */
export interface BenchSource {
  partnerId: string;
  clientId: string;
  clientSecret: string;
  /** The `whsec_` secret the source signs its webhooks with (shown once by the admin API). */
  webhookSecret: string;
  /** A fresh access token (tokens live at most 15 minutes). */
  token(): Promise<string>;
  /** A security admin's access token, for the admin routes a benchmark needs (sources). */
  securityToken: string;
}

/**
 * A membership_system partner with every category and a signed BAA, linked to `organizationId`,
 * a client with sync:write and members:read, and an inbound webhook secret, all over the admin API.
 */
export async function benchSource(
  stack: BenchStack,
  organizationId: string,
  ca = stack.ca,
): Promise<BenchSource> {
  const url = (path: string) => `${stack.baseUrl}${path}`;
  const login = async (role: 'compliance_officer' | 'security_admin') => {
    const email = `bench-sync-${role.replace('_', '-')}@example.test`;
    const password = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const created = await stack.app.get(AdminUsersService).create({ email, password, role });
    const res = await httpsJson(ca, 'POST', url('/api/v1/admin/session'), {
      json: { email, password, totp: totpCode(created.totpSecret, Date.now()) },
    });
    return expectStatus(res, 200, `admin login (${role})`).accessToken as string;
  };
  const officer = await login('compliance_officer');
  const security = await login('security_admin');
  const vendor = expectStatus(
    await httpsJson(ca, 'POST', url('/api/v1/admin/vendors'), {
      token: officer,
      json: {
        name: 'bench membership vendor',
        role: 'partner',
        baa: {
          status: 'signed',
          signedAt: '2026-01-02',
          effectiveFrom: '2026-01-02',
          expiresAt: '2028-01-01',
          documentSha256: 'c'.repeat(64),
          permittedCategories: ALL_CATEGORIES,
        },
      },
    }),
    201,
    'vendor',
  );
  const partner = expectStatus(
    await httpsJson(ca, 'POST', url('/api/v1/admin/partners'), {
      token: officer,
      json: {
        name: 'bench membership system',
        vendorId: vendor.id,
        type: 'membership_system',
        organizationIds: [organizationId],
        categories: ALL_CATEGORIES,
        purpose: 'operations',
        requiresConsent: false,
      },
    }),
    201,
    'partner',
  );
  const partnerId = String(partner.id);
  const client = expectStatus(
    await httpsJson(ca, 'POST', url(`/api/v1/admin/partners/${partnerId}/clients`), {
      token: security,
      json: { authMethod: 'client_secret_basic', scopes: ['sync:write', 'members:read'] },
    }),
    201,
    'client',
  ) as { clientId: string; clientSecret: string };
  const secret = expectStatus(
    await httpsJson(ca, 'POST', url(`/api/v1/admin/partners/${partnerId}/webhook-secrets`), {
      token: security,
      json: {},
    }),
    201,
    'webhook secret',
  );
  return {
    partnerId,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    webhookSecret: secret.secret as string,
    securityToken: security,
    token: async () =>
      expectStatus(
        await httpsJson(ca, 'POST', url('/oauth/token'), {
          form: { grant_type: 'client_credentials' },
          basic: [client.clientId, client.clientSecret],
        }),
        200,
        'token',
      ).access_token as string,
  };
}
