import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, type AdminRole, type DataCategory } from '@app/common';
import { AdminUsersService, totpCode } from '@app/identity';
import { adminSignIn, createMemberSyncClient, type MemberSyncClient } from '@app/sdk';
import { testTlsFiles, type TestApi } from './test-app';

/**
 * The typed SDK pointed at a suite's API, trusting the suite's self-signed certificate (and only it).
 * `headers` go with every call, e.g. `bearer(token)`.
 */
export function sdkFor(
  api: Pick<TestApi, 'baseUrl'>,
  headers: Record<string, string> = {},
): MemberSyncClient {
  return createMemberSyncClient({ baseUrl: api.baseUrl, ca: readFileSync(testTlsFiles().cert), headers });
}

export interface SdkAdmin {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  totpSecret: string;
}

export interface AdminCredentials {
  id: string;
  email: string;
  password: string;
  totpSecret: string;
}

/** Creates an administrator through the service, as the bootstrap CLI does (there is no HTTP route for it). */
export async function createAdmin(api: Pick<TestApi, 'app'>, role: AdminRole): Promise<AdminCredentials> {
  const email = faker.internet.email({ provider: 'example.test' }).toLowerCase();
  const password = faker.internet.password({ length: 20 });
  const created = await api.app.get(AdminUsersService).create({ email, password, role });
  return { id: created.id, email, password, totpSecret: created.totpSecret };
}

/** Creates an administrator and signs it in through the SDK with a TOTP code at `nowMs` (the app's clock). */
export async function signInAdmin(
  api: Pick<TestApi, 'app' | 'baseUrl'>,
  role: AdminRole,
  nowMs: number = Date.now(),
): Promise<SdkAdmin> {
  const admin = await createAdmin(api, role);
  const tokens = await adminSignIn(sdkFor(api), {
    email: admin.email,
    password: admin.password,
    totp: totpCode(admin.totpSecret, nowMs),
  });
  return { ...admin, ...tokens };
}

type SdkAnswer = { data?: unknown; error?: unknown; response: Response };

/**
 * The body of an answer that must have `status` (201 by default), typed as the caller expects;
 * otherwise throws with the status and the problem's type (never its detail).
 */
export async function expectStatus<T = { id: string }>(call: Promise<SdkAnswer>, status = 201): Promise<T> {
  const { data, error, response } = await call;
  if (response.status !== status) {
    const problem = (error ?? {}) as { type?: string; title?: string };
    throw new Error(
      `${response.url}: expected ${status}, got ${response.status} ${problem.type ?? ''} ${problem.title ?? ''}`,
    );
  }
  return data as T;
}

/** A vendor registration with a BAA signed and in effect for the test's dates (synthetic name and document hash). */
export function signedVendorBody(permittedCategories: readonly DataCategory[] = DATA_CATEGORIES) {
  return {
    name: faker.company.name(),
    role: 'partner' as const,
    baa: {
      status: 'signed' as const,
      signedAt: '2026-01-02',
      effectiveFrom: '2026-01-02',
      expiresAt: '2028-01-01',
      documentSha256: createHash('sha256').update(faker.lorem.paragraph()).digest('hex'),
      permittedCategories: [...permittedCategories],
    },
  };
}
