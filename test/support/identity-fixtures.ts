import { createHash, X509Certificate } from 'node:crypto';
import { faker } from '@faker-js/faker';
import { Client } from 'pg';
import type { AdminRole, DataCategory, ManualClock, PartnerScope, PartnerType } from '@app/common';
import { newId } from '@app/common';
import { AdminUsersService, totpCode } from '@app/identity';
import type { TestApi } from './test-app';

faker.seed(20261123);

export interface AdminSession {
  id: string;
  accessToken: string;
  refreshToken: string;
  totpSecret: string;
  email: string;
  password: string;
}

/** Creates an admin through the service (as the bootstrap CLI does) and logs in over HTTPS with TOTP. */
export async function loginAdmin(api: TestApi, clock: ManualClock, role: AdminRole): Promise<AdminSession> {
  const email = faker.internet.email({ provider: 'example.test' }).toLowerCase();
  const password = faker.internet.password({ length: 20 });
  const created = await api.app.get(AdminUsersService).create({ email, password, role });
  const res = await api
    .http()
    .post('/api/v1/admin/session')
    .send({ email, password, totp: totpCode(created.totpSecret, clock.nowMs()) });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`);
  return { id: created.id, ...res.body, totpSecret: created.totpSecret, email, password };
}

export async function adminPost(api: TestApi, token: string, path: string, body: object) {
  return api.http().post(path).set('authorization', `Bearer ${token}`).send(body);
}

export interface PartnerSetup {
  organizationId: string;
  otherOrganizationId: string;
  vendorId: string;
  partnerId: string;
}

/** An organization (plus one the partner is not linked to), a vendor with a signed BAA, and a partner. */
export async function setupPartner(
  api: TestApi,
  officerToken: string,
  options: { type?: PartnerType; categories?: DataCategory[] } = {},
): Promise<PartnerSetup> {
  const categories = options.categories ?? ['identity', 'coverage', 'membership'];
  const organizationId = (
    await adminPost(api, officerToken, '/api/v1/admin/organizations', { name: faker.company.name() })
  ).body.id;
  const otherOrganizationId = (
    await adminPost(api, officerToken, '/api/v1/admin/organizations', { name: faker.company.name() })
  ).body.id;
  const vendor = await adminPost(api, officerToken, '/api/v1/admin/vendors', {
    name: faker.company.name(),
    role: 'partner',
    baa: {
      status: 'signed',
      signedAt: '2026-01-02',
      effectiveFrom: '2026-01-02',
      expiresAt: '2028-01-01',
      documentSha256: createHash('sha256').update(faker.lorem.paragraph()).digest('hex'),
      permittedCategories: categories,
    },
  });
  if (vendor.status !== 201) throw new Error(`vendor: ${vendor.status} ${vendor.text}`);
  const partner = await adminPost(api, officerToken, '/api/v1/admin/partners', {
    name: faker.company.name(),
    vendorId: vendor.body.id,
    type: options.type ?? 'benefits_admin',
    organizationIds: [organizationId],
    categories,
    purpose: 'operations',
    requiresConsent: false,
  });
  if (partner.status !== 201) throw new Error(`partner: ${partner.status} ${partner.text}`);
  return { organizationId, otherOrganizationId, vendorId: vendor.body.id, partnerId: partner.body.id };
}

export async function createClient(
  api: TestApi,
  securityToken: string,
  partnerId: string,
  body: {
    authMethod: 'client_secret_basic' | 'private_key_jwt';
    scopes: PartnerScope[];
    jwks?: object;
    certificateThumbprint?: string;
  },
): Promise<{ clientId: string; clientSecret?: string }> {
  const res = await adminPost(api, securityToken, `/api/v1/admin/partners/${partnerId}/clients`, body);
  if (res.status !== 201) throw new Error(`client: ${res.status} ${res.text}`);
  return res.body;
}

/** Inserts a member row (no ePHI) straight into the suite's database. */
export async function insertMember(api: TestApi, organizationId: string): Promise<string> {
  const id = newId('member');
  const client = new Client({ connectionString: api.database.url });
  await client.connect();
  try {
    await client.query(`insert into member (id, organization_id) values ($1, $2)`, [id, organizationId]);
  } finally {
    await client.end();
  }
  return id;
}

export async function sql<T extends Record<string, unknown>>(
  api: TestApi,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: api.database.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export function thumbprint(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('base64url');
}
