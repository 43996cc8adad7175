import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import { AdminUsersService, totpCode } from '@app/identity';
import { parseDocBlocks, runBlock, talksToApi, variablesOf, type DocBlock } from './support/docs-curl';
import { adminPost, createClient, loginAdmin } from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember, webhookSecretFor } from './support/member-fixtures';
import { PUBLIC_SUBSCRIPTION_URL } from './support/subscription-fixtures';
import { startTestApi, testTlsFiles, type TestApi } from './support/test-app';

// The API guide's and the runbooks' curl examples, run as written against a test install: each
// runnable block must answer the statuses its marker names. The variables they use are the ones
// the API guide documents under "Trying the examples"; this suite prepares exactly those.
const ROOT = join(__dirname, '..');
const DOCS = ['docs/api-guide.md', 'docs/runbooks.md'];
const blocks = DOCS.flatMap((doc) => parseDocBlocks(readFileSync(join(ROOT, doc), 'utf8'), doc));
const executed = blocks.filter((block) => block.kind === 'runnable' || block.kind === 'setup');
const title = (block: DocBlock) =>
  `${block.doc}:${block.line} (${block.heading}) ${block.kind === 'setup' ? 'sets up' : `answers ${block.statuses.join(' ')}`}`;

const BENEFITS_SCOPES = [
  'members:read',
  'members.preferences:write',
  'changes:read',
  'subscriptions:manage',
] as const;
const BENEFITS_CATEGORIES = ['identity', 'contact', 'membership', 'coverage', 'preferences'] as const;

describe('docs: curl examples run against the API', () => {
  let api: TestApi;
  let cwd: string;
  const shared: Record<string, string> = {};
  const preludes = new Map<string, string>();
  let fixtureToken: string;
  let logins = 0;

  beforeAll(async () => {
    const missing = ['bash', 'curl', 'jq', 'openssl', 'base64', 'od'].filter(
      (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
    );
    if (missing.length) throw new Error(`the documentation examples need ${missing.join(', ')} on PATH`);
    api = await startTestApi({
      env: {
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
        RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      },
    });
    // The examples pass --cacert .data/tls/dev-cert.pem, as on a development checkout.
    cwd = mkdtempSync(join(tmpdir(), 'msync-docs-'));
    mkdirSync(join(cwd, '.data/tls'), { recursive: true });
    copyFileSync(testTlsFiles().cert, join(cwd, '.data/tls/dev-cert.pem'));

    const clock = new ManualClock(Date.now());
    const officer = await loginAdmin(api, clock, 'compliance_officer');
    const security = await loginAdmin(api, clock, 'security_admin');
    const operator = await loginAdmin(api, clock, 'operator');
    const created = async (path: string, body: object, token = officer.accessToken) => {
      const res = await adminPost(api, token, path, body);
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.text}`);
      return res.body as Record<string, string>;
    };
    const baa = (categories: readonly string[]) => ({
      status: 'signed',
      signedAt: '2026-01-02',
      effectiveFrom: '2026-01-02',
      expiresAt: '2028-01-01',
      documentSha256: randomBytes(32).toString('hex'),
      permittedCategories: categories,
    });
    const org = await created('/api/v1/admin/organizations', { name: 'Example Employer Inc.' });
    const vendor = await created('/api/v1/admin/vendors', {
      name: 'Example Benefits Co.',
      role: 'partner',
      baa: baa(BENEFITS_CATEGORIES),
    });
    const partner = await created('/api/v1/admin/partners', {
      name: 'Example Benefits Portal',
      vendorId: vendor.id,
      type: 'benefits_admin',
      organizationIds: [org.id],
      categories: BENEFITS_CATEGORIES,
      purpose: 'operations',
      requiresConsent: false,
    });
    const sourceVendor = await created('/api/v1/admin/vendors', {
      name: 'Example Membership Co.',
      role: 'partner',
      baa: baa(DATA_CATEGORIES),
    });
    const source = await created('/api/v1/admin/partners', {
      name: 'Example Membership System',
      vendorId: sourceVendor.id,
      type: 'membership_system',
      organizationIds: [org.id],
      categories: DATA_CATEGORIES,
      purpose: 'sync',
      requiresConsent: false,
    });
    const sync = await createClient(api, security.accessToken, source.id, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write', 'members:read', 'members:write', 'subscriptions:manage'],
    });
    const apiKey = await created(
      `/api/v1/admin/partners/${source.id}/api-keys`,
      { scopes: ['sync:write'], allowedCidrs: ['127.0.0.1/32', '::1/128'] },
      security.accessToken,
    );
    const syncToken = await clientToken(api, sync);
    Object.assign(shared, {
      BASE: api.baseUrl,
      OFFICER_TOKEN: officer.accessToken,
      SECURITY_TOKEN: security.accessToken,
      OPS_TOKEN: operator.accessToken,
      ORG_ID: org.id,
      VENDOR_ID: vendor.id,
      PARTNER_ID: partner.id,
      SOURCE_PARTNER_ID: source.id,
      SYNC_TOKEN: syncToken,
      WEBHOOK_SECRET: await webhookSecretFor(api, source.id),
      API_KEY: apiKey.key,
    });
    fixtureToken = await clientToken(
      api,
      await createClient(api, security.accessToken, partner.id, {
        authMethod: 'client_secret_basic',
        scopes: [...BENEFITS_SCOPES],
      }),
    );
  });

  afterAll(async () => {
    await api?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  /** The shared fixtures plus fresh ones for the variables this block reads that a block may use up. */
  async function environmentFor(code: string): Promise<Record<string, string>> {
    const wanted = variablesOf(code);
    const env: Record<string, string> = { ...shared };
    if (['CLIENT_ID', 'CLIENT_SECRET', 'TOKEN', 'ACCESS_TOKEN'].some((name) => wanted.has(name))) {
      const client = await createClient(api, shared.SECURITY_TOKEN, shared.PARTNER_ID, {
        authMethod: 'client_secret_basic',
        scopes: [...BENEFITS_SCOPES],
      });
      const token = await clientToken(api, client);
      Object.assign(env, {
        CLIENT_ID: client.clientId,
        CLIENT_SECRET: client.clientSecret!,
        TOKEN: token,
        ACCESS_TOKEN: token,
      });
    }
    if (wanted.has('MEMBER_ID'))
      env.MEMBER_ID = await createMember(api, shared.SYNC_TOKEN, syntheticMember(shared.ORG_ID));
    if (wanted.has('SUBSCRIPTION_ID')) {
      const res = await api
        .http()
        .post('/api/v1/webhook-subscriptions')
        .set('authorization', `Bearer ${fixtureToken}`)
        .send({ url: PUBLIC_SUBSCRIPTION_URL, events: ['member.updated'] });
      if (res.status !== 201) throw new Error(`subscription: ${res.status} ${res.text}`);
      env.SUBSCRIPTION_ID = res.body.id;
    }
    if (wanted.has('INCIDENT_ID')) {
      const client = await createClient(api, shared.SECURITY_TOKEN, shared.PARTNER_ID, {
        authMethod: 'client_secret_basic',
        scopes: ['members:read'],
      });
      const res = await adminPost(api, shared.OFFICER_TOKEN, '/api/v1/admin/incidents', {
        discoveredAt: new Date(Date.now() - 60_000).toISOString(),
        description: 'Example incident of the runbook',
        clientId: client.clientId,
      });
      if (res.status !== 201) throw new Error(`incident: ${res.status} ${res.text}`);
      env.INCIDENT_ID = res.body.id;
    }
    if (wanted.has('TOTP')) {
      const password = `Example-password-${randomBytes(6).toString('hex')}`;
      const email = `doc-login-${++logins}@example.test`;
      const admin = await api.app
        .get(AdminUsersService)
        .create({ email, password, role: 'compliance_officer' });
      Object.assign(env, {
        ADMIN_EMAIL: email,
        ADMIN_PASSWORD: password,
        TOTP: totpCode(admin.totpSecret, Date.now()),
      });
    }
    return env;
  }

  it('marks every curl example of the API guide that calls the API as runnable, or as illustrative with a reason', () => {
    const guide = blocks.filter((block) => block.doc === 'docs/api-guide.md' && talksToApi(block));
    expect(guide.filter((block) => block.kind === 'unmarked').map((block) => block.line)).toEqual([]);
    expect(
      guide.filter((block) => block.kind === 'illustrative' && block.reason.length < 15).map((b) => b.line),
    ).toEqual([]);
    expect(guide.filter((block) => block.kind === 'runnable').length).toBeGreaterThanOrEqual(30);
  });

  it('reports the real status of each curl call and fails a block whose command fails', async () => {
    const env = { BASE: shared.BASE };
    const run = await runBlock(
      [
        'curl --cacert .data/tls/dev-cert.pem -sS -o /dev/null "$BASE/health/live"',
        'curl --cacert .data/tls/dev-cert.pem -sS "$BASE/api/v1/members" | grep -q unauthorized',
      ].join('\n'),
      { env, cwd },
    );
    expect({ exitCode: run.exitCode, statuses: run.statuses }).toEqual({ exitCode: 0, statuses: [200, 401] });
    const failing = await runBlock(
      'curl --cacert .data/tls/dev-cert.pem -sS "$BASE/health/live" | grep -q no-such-text',
      { env, cwd },
    );
    expect({ exitCode: failing.exitCode, statuses: failing.statuses }).toEqual({
      exitCode: 1,
      statuses: [200],
    });
  });

  it('reads markers: statuses in order, setup, illustrative with its reason; a malformed one is an error', () => {
    const doc = [
      '## A',
      '<!-- runnable: expect 201 200 -->',
      '',
      '```sh',
      'curl "$BASE/x"',
      '```',
      '<!-- illustrative: needs your own key -->',
      '```bash',
      'curl "$BASE/y"',
      '```',
      '```sh',
      'curl "$BASE/z"',
      '```',
    ].join('\n');
    expect(parseDocBlocks(doc, 'd.md').map((b) => [b.line, b.heading, b.kind, b.statuses, b.reason])).toEqual(
      [
        [4, 'A', 'runnable', [201, 200], ''],
        [8, 'A', 'illustrative', [], 'needs your own key'],
        [11, 'A', 'unmarked', [], ''],
      ],
    );
    expect(() => parseDocBlocks('<!-- runnable: expect ok -->\n```sh\ncurl\n```', 'd.md')).toThrow(
      /malformed marker/,
    );
  });

  it('uses only the variables the API guide documents', () => {
    const guide = readFileSync(join(ROOT, 'docs/api-guide.md'), 'utf8');
    const section = guide.slice(
      guide.indexOf('## Trying the examples'),
      guide.indexOf('\n## ', guide.indexOf('## Trying the examples') + 5),
    );
    const documented = new Set([...section.matchAll(/`\$([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]));
    const defined = (code: string) =>
      new Set([...code.matchAll(/^\s*(?:local\s+|export\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const undocumented = executed.flatMap((block) => {
      const own = defined(block.code);
      const fromSetup = blocks
        .filter((b) => b.kind === 'setup' && b.doc === block.doc)
        .flatMap((b) => [...defined(b.code)]);
      return [...variablesOf(block.code)]
        .filter((name) => !documented.has(name) && !own.has(name) && !fromSetup.includes(name))
        .map((name) => `${block.doc}:${block.line} $${name}`);
    });
    expect(undocumented).toEqual([]);
  });

  it.each(executed.map((block) => [title(block), block] as const))('%s', async (_title, block) => {
    const run = await runBlock(block.code, {
      prelude: preludes.get(block.doc),
      env: await environmentFor(`${preludes.get(block.doc) ?? ''}\n${block.code}`),
      cwd,
    });
    const outcome = { exitCode: run.exitCode, statuses: run.statuses };
    if (
      outcome.exitCode !== 0 ||
      (block.kind === 'runnable' && outcome.statuses.join() !== block.statuses.join())
    ) {
      throw new Error(
        `${title(block)}: exit ${run.exitCode}, statuses ${run.statuses.join(' ')}\n` +
          `--- stdout\n${run.stdout.slice(-3000)}\n--- stderr\n${run.stderr.slice(-3000)}`,
      );
    }
    if (block.kind === 'setup') preludes.set(block.doc, `${preludes.get(block.doc) ?? ''}\n${block.code}`);
    expect(outcome).toEqual({ exitCode: 0, statuses: block.kind === 'runnable' ? block.statuses : [] });
  });
});
