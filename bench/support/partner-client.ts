import { DATA_CATEGORIES } from '@app/common';
import { AdminUsersService, totpCode } from '@app/identity';
import type { BenchStack } from './bench-stack';
import { expectStatus, httpsJson } from './https-json';

export const ALL_CATEGORIES: string[] = [...DATA_CATEGORIES];

/**
 * A partner with every category, a signed BAA and a members:read client, set up over the admin
 * API; returns a function that fetches a fresh access token (tokens live at most 15 minutes).
 */
export async function benchPartnerClient(
  stack: BenchStack,
  organizationId: string,
): Promise<() => Promise<string>> {
  const url = (path: string) => `${stack.baseUrl}${path}`;
  const login = async (role: 'compliance_officer' | 'security_admin') => {
    const email = `bench-${role.replace('_', '-')}@example.test`;
    const password = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const created = await stack.app.get(AdminUsersService).create({ email, password, role });
    const res = await httpsJson(stack.ca, 'POST', url('/api/v1/admin/session'), {
      json: { email, password, totp: totpCode(created.totpSecret, Date.now()) },
    });
    return expectStatus(res, 200, `admin login (${role})`).accessToken as string;
  };
  const officer = await login('compliance_officer');
  const security = await login('security_admin');
  const vendor = expectStatus(
    await httpsJson(stack.ca, 'POST', url('/api/v1/admin/vendors'), {
      token: officer,
      json: {
        name: 'bench vendor',
        role: 'partner',
        baa: {
          status: 'signed',
          signedAt: '2026-01-02',
          effectiveFrom: '2026-01-02',
          expiresAt: '2028-01-01',
          documentSha256: 'b'.repeat(64),
          permittedCategories: ALL_CATEGORIES,
        },
      },
    }),
    201,
    'vendor',
  );
  const partner = expectStatus(
    await httpsJson(stack.ca, 'POST', url('/api/v1/admin/partners'), {
      token: officer,
      json: {
        name: 'bench benefits admin',
        vendorId: vendor.id,
        type: 'benefits_admin',
        organizationIds: [organizationId],
        categories: ALL_CATEGORIES,
        purpose: 'operations',
        requiresConsent: false,
      },
    }),
    201,
    'partner',
  );
  const client = expectStatus(
    await httpsJson(stack.ca, 'POST', url(`/api/v1/admin/partners/${String(partner.id)}/clients`), {
      token: security,
      json: { authMethod: 'client_secret_basic', scopes: ['members:read'] },
    }),
    201,
    'client',
  ) as { clientId: string; clientSecret: string };
  return async () =>
    expectStatus(
      await httpsJson(stack.ca, 'POST', url('/oauth/token'), {
        form: { grant_type: 'client_credentials' },
        basic: [client.clientId, client.clientSecret],
      }),
      200,
      'token',
    ).access_token as string;
}
