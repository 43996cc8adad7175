import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES } from '@app/common';
import { bearer, clientCredentialsToken, createMemberSyncClient, signWebhookBody } from '@app/sdk';
import {
  generateSchemaTypes,
  SDK_DOCUMENT_FILE,
  SDK_SCHEMA_FILE,
} from '../apps/cli/src/commands/openapi.command';
import { documentDriftReport } from '../apps/cli/src/commands/openapi-document-file';
import { syntheticMember } from './support/member-fixtures';
import { sdkFor, signedVendorBody, signInAdmin } from './support/sdk';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(20261130);

describe('the typed SDK', () => {
  let api: TestApi;
  let scratch: string;

  beforeAll(async () => {
    api = await startTestApi();
    scratch = mkdtempSync(join(tmpdir(), 'msync-sdk-drift-'));
  });

  afterAll(async () => {
    await api?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  describe('cannot drift from the service', () => {
    it('is built from exactly the document the running service serves', async () => {
      const served = await api.http().get('/api/openapi.json');
      expect(served.status).toBe(200);
      const committed = JSON.parse(readFileSync(SDK_DOCUMENT_FILE, 'utf8'));
      expect(documentDriftReport(committed, served.body)).toBeUndefined();
    });

    it('has the types openapi-typescript generates from that document, byte for byte', () => {
      const fresh = join(scratch, 'schema.ts');
      generateSchemaTypes(SDK_DOCUMENT_FILE, fresh);
      const same = readFileSync(fresh).equals(readFileSync(SDK_SCHEMA_FILE));
      expect(same ? 'same' : 'libs/sdk/src/schema.ts is stale: run `npm run sdk:generate`').toBe('same');
    });

    it('compiles on its own (no path aliases, no lib of ours) into a strict program that calls it', () => {
      // What a partner's project sees: the SDK's own files and its one dependency, strict mode.
      const program = join(scratch, 'partner.ts');
      writeFileSync(
        program,
        [
          `import { bearer, createMemberSyncClient, signWebhookBody } from ${JSON.stringify(join(__dirname, '../libs/sdk/src'))};`,
          `const client = createMemberSyncClient({ baseUrl: 'https://127.0.0.1:8443', ca: '', headers: bearer('t') });`,
          `export const read = client.GET('/api/v1/members/{memberId}', { params: { path: { memberId: 'mbr_1' } } });`,
          `const signed = signWebhookBody('whsec_AAAA', { eventId: 'e', occurredAt: '2026-01-01T00:00:00Z', changes: { contact: { email: 'a@b.test' } } });`,
          `export const update = client.POST('/api/v1/members/{memberId}/updates', {`,
          `  params: { path: { memberId: 'mbr_1' }, header: signed.header }, body: signed.body, bodySerializer: signed.bodySerializer });`,
          // A path the document does not have must not compile.
          `// @ts-expect-error unknown path`,
          `export const wrong = client.GET('/api/v1/not-a-route');`,
        ].join('\n'),
      );
      const tsc = join(__dirname, '../node_modules/typescript/bin/tsc');
      const args = [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16'];
      args.push(
        '--target',
        'ES2022',
        '--typeRoots',
        join(__dirname, '../node_modules/@types'),
        '--types',
        'node',
      );
      args.push('--skipLibCheck', program);
      expect(compilerErrors(args, scratch)).toBe('');
    });
  });

  describe('against the running service', () => {
    it('bootstraps a membership system and round-trips a signed member create over the self-signed certificate', async () => {
      const officer = await signInAdmin(api, 'compliance_officer');
      const security = await signInAdmin(api, 'security_admin');
      const asOfficer = sdkFor(api, bearer(officer.accessToken));
      const asSecurity = sdkFor(api, bearer(security.accessToken));

      const organization = await asOfficer.POST('/api/v1/admin/organizations', {
        body: { name: faker.company.name() },
      });
      expect(organization.response.status).toBe(201);
      const organizationId = (organization.data as unknown as { id: string }).id;
      const vendor = await asOfficer.POST('/api/v1/admin/vendors', {
        body: signedVendorBody(),
      });
      expect(vendor.response.status).toBe(201);
      const partner = await asOfficer.POST('/api/v1/admin/partners', {
        body: {
          name: faker.company.name(),
          vendorId: (vendor.data as unknown as { id: string }).id,
          type: 'membership_system',
          organizationIds: [organizationId],
          categories: [...DATA_CATEGORIES],
          purpose: 'operations',
          requiresConsent: false,
        },
      });
      expect(partner.response.status).toBe(201);
      const partnerId = (partner.data as unknown as { id: string }).id;
      const client = await asSecurity.POST('/api/v1/admin/partners/{partnerId}/clients', {
        params: { path: { partnerId } },
        body: { authMethod: 'client_secret_basic', scopes: ['sync:write', 'members:read'] },
      });
      expect(client.response.status).toBe(201);
      const secret = await asSecurity.POST('/api/v1/admin/partners/{partnerId}/webhook-secrets', {
        params: { path: { partnerId } },
      });
      expect(secret.response.status).toBe(201);

      const credentials = client.data as unknown as { clientId: string; clientSecret: string };
      const token = await clientCredentialsToken(sdkFor(api), credentials);
      const signed = signWebhookBody(
        (secret.data as unknown as { secret: string }).secret,
        syntheticMember(organizationId),
      );
      const created = await sdkFor(api).POST('/api/v1/members', {
        params: { header: signed.header },
        body: signed.body as never,
        bodySerializer: signed.bodySerializer,
        headers: bearer(token.access_token),
      });
      expect({ status: created.response.status, error: created.error }).toMatchObject({ status: 201 });
      const memberId = (created.data as { id: string }).id;

      const read = await sdkFor(api, bearer(token.access_token)).GET('/api/v1/members/{memberId}', {
        params: { path: { memberId } },
      });
      expect(read.response.status).toBe(200);
      expect(read.data).toMatchObject({ id: memberId, organizationId });
    });

    it('refuses the self-signed certificate when the client is not given its CA', async () => {
      const untrusting = createMemberSyncClient({ baseUrl: api.baseUrl });
      await expect(untrusting.GET('/health/live')).rejects.toThrow(/fetch failed/);
    });

    it('answers a refused call as a typed problem, not an exception', async () => {
      const anonymous = sdkFor(api);
      const { data, error, response } = await anonymous.GET('/api/v1/members', {});
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(data).toBeUndefined();
      expect(error).toMatchObject({ status: 401 });
    });
  });
});

/** tsc's diagnostics for `args` (empty when the program compiles). */
function compilerErrors(args: string[], cwd: string): string {
  try {
    execFileSync(process.execPath, args, { cwd, stdio: 'pipe' });
    return '';
  } catch (error) {
    const failed = error as { stdout?: Buffer; stderr?: Buffer };
    return `${failed.stdout?.toString() ?? ''}${failed.stderr?.toString() ?? ''}` || String(error);
  }
}
