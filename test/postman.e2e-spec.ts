import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faker } from '@faker-js/faker';
import { DATA_CATEGORIES, newId } from '@app/common';
import { totpCode } from '@app/identity';
import { bearer, clientCredentialsToken, signWebhookBody } from '@app/sdk';
import { syntheticMember } from './support/member-fixtures';
import { createAdmin, expectStatus, sdkFor, signedVendorBody, signInAdmin } from './support/sdk';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(20261201);

const ROOT = join(__dirname, '..');

/** The part of newman's run summary this suite reads (newman ships no types). */
interface NewmanSummary {
  run: {
    failures: Array<{ error: { test?: string; message: string }; source?: { name?: string } }>;
    executions: Array<{ item: { name: string }; response?: { code: number }; requestError?: Error }>;
  };
}
type Newman = {
  run(options: object, done: (error: Error | null, summary: NewmanSummary) => void): void;
};
const newman = createRequire(__filename)('newman') as Newman;

describe('the Postman collection generated from the OpenAPI document (portman + newman)', () => {
  let api: TestApi;
  let scratch: string;
  let environment: Record<string, string>;
  let served: { paths: Record<string, Record<string, { operationId: string }>> };

  beforeAll(async () => {
    api = await startTestApi({
      env: {
        METRICS_TOKEN: 'postman-metrics-token-0123456789abcdef',
        RATE_LIMIT_AUTH_PER_MINUTE: '100000',
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        AUTH_FAILURE_ALERT_THRESHOLD: '100000',
        DELIVERY_ALLOW_LOOPBACK: 'true',
      },
    });
    scratch = mkdtempSync(join(tmpdir(), 'msync-postman-'));
    environment = await bootstrap(api);
    served = (await api.http().get('/api/openapi.json')).body;
  });

  afterAll(async () => {
    await api?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('passes every contract, variation and fuzz test, and never answers 5xx', async () => {
    const collection = generateCollection(served, scratch);
    const summary = await runCollection(collection, environment);

    const failures = summary.run.failures.map(
      (f) => `${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`,
    );
    const serverErrors = summary.run.executions
      .filter((e) => e.requestError || (e.response?.code ?? 0) >= 500)
      .map((e) => `${e.item.name}: ${e.response?.code ?? e.requestError?.message}`);
    expect({ failures, serverErrors }).toEqual({ failures: [], serverErrors: [] });

    // Every operation of the document was called at least once with its own request.
    const operations = Object.values(served.paths).flatMap((item) =>
      Object.values(item).map((o) => o.operationId),
    );
    const executed = new Set(summary.run.executions.map((e) => e.item.name));
    const requestNames = collectionRequestNames(collection);
    expect(operations.length).toBeGreaterThan(90);
    expect(summary.run.executions.length).toBe(requestNames.main.length + requestNames.variations.length);
    expect(requestNames.main.length).toBe(operations.length);
    expect(requestNames.main.filter((name) => !executed.has(name))).toEqual([]);
    // The variations are there and ran: unauthenticated, wrong scope, invalid body, fuzz.
    for (const kind of [
      '[Unauthenticated]',
      '[Admin role without the scope]',
      '[Partner token without the scope]',
      '[Unknown body property]',
      '[Fuzz]',
    ]) {
      expect(requestNames.variations.some((name) => name.includes(kind) && executed.has(name))).toBe(true);
    }
  }, 240_000); // ~845 requests: 35 s on a quiet CI machine, over 60 s on a loaded 2-vCPU one
});

/** portman (its CLI, as CI runs it) on the served document, with the committed config; no network. */
function generateCollection(document: object, scratch: string): object {
  const spec = join(scratch, 'openapi.json');
  const output = join(scratch, 'collection.json');
  writeFileSync(spec, JSON.stringify(document));
  // portman resolves `file:` scripts against its working directory and writes ./tmp there.
  symlinkSync(join(ROOT, 'postman'), join(scratch, 'postman'));
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/@apideck/portman/bin/portman'),
      '--cliOptionsFile',
      'postman/portman-cli-options.json',
      '-l',
      spec,
      '-o',
      output,
    ],
    { cwd: scratch, stdio: 'pipe' },
  );
  return JSON.parse(readFileSync(output, 'utf8'));
}

function runCollection(collection: object, values: Record<string, string>): Promise<NewmanSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection,
        environment: {
          values: Object.entries(values).map(([key, value]) => ({ key, value, enabled: true })),
        },
        // The loopback test server's certificate signs itself; nothing else is ever contacted.
        insecure: true,
        reporters: [],
        timeoutRequest: 15000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    ),
  );
}

function collectionRequestNames(collection: object): { main: string[]; variations: string[] } {
  const main: string[] = [];
  const variations: string[] = [];
  const walk = (items: Array<{ name: string; item?: unknown[] }>, inVariations: boolean) => {
    for (const item of items) {
      if (item.item) walk(item.item as typeof items, inVariations || item.name === 'Variation Tests');
      else (inVariations ? variations : main).push(item.name);
    }
  };
  walk((collection as { item: Array<{ name: string }> }).item, false);
  return { main, variations };
}

/**
 * Everything the collection acts on, made through the SDK: admins of each role, an organization,
 * a vendor, a membership system (sync client, inbound secret, API keys, subscriptions), a benefits
 * administrator that reads, members, a consent, an incident, a rights request, a legal hold, a
 * source, and separate fixtures for each operation that destroys something.
 */
async function bootstrap(api: TestApi): Promise<Record<string, string>> {
  const officer = await signInAdmin(api, 'compliance_officer');
  const security = await signInAdmin(api, 'security_admin');
  const operator = await signInAdmin(api, 'operator');
  const toBeDisabled = await signInAdmin(api, 'operator');
  const refreshed = await signInAdmin(api, 'operator');
  const signingIn = await createAdmin(api, 'operator');
  const asOfficer = sdkFor(api, bearer(officer.accessToken));
  const asSecurity = sdkFor(api, bearer(security.accessToken));

  const organization = await expectStatus(
    asOfficer.POST('/api/v1/admin/organizations', { body: { name: faker.company.name() } }),
  );
  const vendor = await expectStatus(
    asOfficer.POST('/api/v1/admin/vendors', {
      body: signedVendorBody(),
    }),
  );
  const partner = (type: 'membership_system' | 'benefits_admin' | 'wellness_app') =>
    expectStatus(
      asOfficer.POST('/api/v1/admin/partners', {
        body: {
          name: faker.company.name(),
          vendorId: vendor.id,
          type,
          organizationIds: [organization.id],
          categories: [...DATA_CATEGORIES],
          purpose: 'operations',
          requiresConsent: false,
        },
      }),
    );
  const client = (
    partnerId: string,
    scopes: Array<
      | 'sync:write'
      | 'members:read'
      | 'members:write'
      | 'members.preferences:write'
      | 'changes:read'
      | 'subscriptions:manage'
    >,
  ) =>
    expectStatus<{ clientId: string; clientSecret: string }>(
      asSecurity.POST('/api/v1/admin/partners/{partnerId}/clients', {
        params: { path: { partnerId } },
        body: { authMethod: 'client_secret_basic', scopes },
      }),
    );
  const apiKey = (partnerId: string) =>
    expectStatus(
      asSecurity.POST('/api/v1/admin/partners/{partnerId}/api-keys', {
        params: { path: { partnerId } },
        body: { scopes: ['sync:write'], allowedCidrs: ['127.0.0.1/32'] },
      }),
    );
  const webhookSecret = (partnerId: string) =>
    expectStatus<{ id: string; secret: string }>(
      asSecurity.POST('/api/v1/admin/partners/{partnerId}/webhook-secrets', {
        params: { path: { partnerId } },
      }),
    );

  const source = await partner('membership_system');
  const reader = await partner('benefits_admin');
  const toBeSuspended = await partner('wellness_app');
  const polledSource = await partner('membership_system');
  const syncClient = await client(source.id, [
    'sync:write',
    'members:read',
    'members:write',
    'subscriptions:manage',
  ]);
  const subscriberClient = await client(source.id, ['subscriptions:manage']);
  const readerClient = await client(reader.id, ['members:read', 'members.preferences:write', 'changes:read']);
  const toBeRevoked = await client(source.id, ['members:read']);
  const compromised = await client(source.id, ['members:read']);
  const secret = await webhookSecret(source.id);
  const secretToBeRevoked = await webhookSecret(source.id);
  const keyToBeRotated = await apiKey(source.id);
  const keyToBeRevoked = await apiKey(source.id);

  const anonymous = sdkFor(api);
  const partnerToken = (await clientCredentialsToken(anonymous, syncClient)).access_token;
  const revocableToken = (await clientCredentialsToken(anonymous, syncClient)).access_token;
  const asPartner = sdkFor(api, bearer(partnerToken));
  const member = async () => {
    const signed = signWebhookBody(secret.secret, syntheticMember(organization.id));
    return expectStatus(
      asPartner.POST('/api/v1/members', {
        params: { header: signed.header },
        body: signed.body as never,
        bodySerializer: signed.bodySerializer,
      }),
    );
  };
  const memberId = (await member()).id;
  const deleteMemberId = (await member()).id;
  const holdMemberId = (await member()).id;

  const subscription = () =>
    expectStatus(
      asPartner.POST('/api/v1/webhook-subscriptions', {
        body: { url: 'https://93.184.216.34/hooks/member-sync', events: ['member.updated'] },
      }),
    );
  const consent = await expectStatus(
    asOfficer.POST('/api/v1/admin/consents', {
      body: {
        memberId,
        partnerId: reader.id,
        purpose: 'operations',
        categories: ['contact'],
        validFrom: '2026-01-01T00:00:00.000Z',
        evidenceSha256: 'c'.repeat(64),
      },
    }),
  );
  const incident = (clientId?: string) =>
    expectStatus(
      asOfficer.POST('/api/v1/admin/incidents', {
        body: {
          discoveredAt: '2026-11-01T00:00:00.000Z',
          description: 'postman fixture',
          ...(clientId ? { clientId } : {}),
        },
      }),
    );
  const rightsRequest = await expectStatus(
    asOfficer.POST('/api/v1/admin/rights-requests', {
      body: { kind: 'access', memberId, receivedAt: '2026-11-01T00:00:00.000Z' },
    }),
  );
  const legalHold = await expectStatus(
    asOfficer.POST('/api/v1/admin/legal-holds', { body: { memberId, reason: 'postman fixture' } }),
  );
  const sourceRecord = await expectStatus(
    asSecurity.POST('/api/v1/admin/sources', {
      body: {
        partnerId: source.id,
        changeFeedUrl: 'https://127.0.0.1:9/feed',
        bearerToken: 'postman-fixture-feed',
        pollIntervalSeconds: 300,
      },
    }),
  );

  return {
    baseUrl: api.baseUrl,
    officerToken: officer.accessToken,
    securityToken: security.accessToken,
    operatorToken: operator.accessToken,
    partnerToken,
    readerToken: (await clientCredentialsToken(anonymous, readerClient)).access_token,
    subscriberToken: (await clientCredentialsToken(anonymous, subscriberClient)).access_token,
    revocableToken,
    clientId: syncClient.clientId,
    clientSecret: syncClient.clientSecret,
    webhookSecret: secret.secret,
    metricsToken: 'postman-metrics-token-0123456789abcdef',
    loginEmail: signingIn.email,
    loginPassword: signingIn.password,
    loginTotp: totpCode(signingIn.totpSecret, Date.now()),
    refreshToken: refreshed.refreshToken,
    organizationId: organization.id,
    vendorId: vendor.id,
    partnerId: source.id,
    readerPartnerId: reader.id,
    suspendPartnerId: toBeSuspended.id,
    sourcePartnerId: polledSource.id,
    revokeClientId: toBeRevoked.clientId,
    rotateKeyId: keyToBeRotated.id,
    revokeKeyId: keyToBeRevoked.id,
    revokeSecretId: secretToBeRevoked.id,
    disableAdminId: toBeDisabled.id,
    memberId,
    deleteMemberId,
    holdMemberId,
    consentId: consent.id,
    incidentId: (await incident()).id,
    containIncidentId: (await incident(compromised.clientId)).id,
    rightsRequestId: rightsRequest.id,
    legalHoldId: legalHold.id,
    sourceId: sourceRecord.id,
    subscriptionId: (await subscription()).id,
    deleteSubscriptionId: (await subscription()).id,
    // Well-formed ids nothing carries: those operations answer their documented 404.
    missingAlertId: newId('alert'),
    missingDeadLetterId: 'dlq_00000000000000000000000000',
    missingCaseId: 'rcn_00000000000000000000000000',
    missingExportToken: 'x'.repeat(43),
  };
}
