import { DATA_CATEGORIES } from '@app/common';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@app/common';
import { MemberSeeder, SyntheticMemberGenerator, type SyntheticMember } from '@app/members';
import { adminPost, createClient, loginAdmin, sql, type AdminSession } from './support/identity-fixtures';
import { clientToken } from './support/member-fixtures';
import { TEST_REDIS_URL } from './support/services';
import { startTestApi, type TestApi } from './support/test-app';

const CLI = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
const SEED = 424242;
const MEMBERS = 120;
const ALL_CATEGORIES: string[] = [...DATA_CATEGORIES];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI against the suite's database and key file, from an empty directory (no .env). */
function runCli(api: TestApi, args: string[]): Promise<CliRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'msync-seed-'));
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: cwd,
      DATABASE_URL: api.database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: api.config.redis.keyPrefix,
      LOCAL_KEK_FILE: api.config.keys.localKekFile,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The groups of a generated member: what the API returns besides id, organization, version and status. */
function groupsOf(member: SyntheticMember) {
  const { sourceRef: _s, occurredAt: _o, ...groups } = member;
  return groups;
}

describe('seed: synthetic members through the real encryption path', () => {
  const clock = new ManualClock(Date.now());
  const generator = new SyntheticMemberGenerator(SEED);
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let cliRun: CliRun;
  let cliOrg: string;
  let serviceOrg: string;
  let token: string;

  const read = (id: string) =>
    api.http().get(`/api/v1/members/${id}`).set('authorization', `Bearer ${token}`);

  /** member id → generator index, from the plaintext source reference the seeder writes. */
  async function indexesOf(organizationId: string): Promise<Map<string, number>> {
    const rows = await sql<{ id: string; source_ref: string }>(
      api,
      'select id, source_ref from member where organization_id = $1',
      [organizationId],
    );
    return new Map(rows.map((r) => [r.id, Number(r.source_ref.replace(`synthetic-${SEED}-`, ''))]));
  }

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: {
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        RATE_LIMIT_CLIENT_PER_MINUTE: '100000',
        RATE_LIMIT_IP_PER_MINUTE: '100000',
      },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');

    cliRun = await runCli(api, [
      'seed',
      '--members',
      String(MEMBERS),
      '--seed',
      String(SEED),
      '--batch-size',
      '50',
    ]);
    cliOrg = (JSON.parse(cliRun.stdout.trim().split('\n').pop() ?? '{}') as { organizationId: string })
      .organizationId;
    serviceOrg = (
      await api.app.get(MemberSeeder).seed({
        actor: {
          system: 'test:seed',
          request: { ip: 'local', method: 'CLI', route: 'seed', requestId: randomUUID() },
        },
        members: MEMBERS,
        seed: SEED,
        batchSize: 64,
      })
    ).organizationId;

    // Lower-case, digit-free names: nothing here can be mistaken for a member's name in the dump below.
    const vendor = await adminPost(api, officer.accessToken, '/api/v1/admin/vendors', {
      name: 'seed check vendor',
      role: 'partner',
      baa: {
        status: 'signed',
        signedAt: '2026-01-02',
        effectiveFrom: '2026-01-02',
        expiresAt: '2028-01-01',
        documentSha256: createHash('sha256').update('seed check baa').digest('hex'),
        permittedCategories: ALL_CATEGORIES,
      },
    });
    expect(vendor.status).toBe(201);
    const partner = await adminPost(api, officer.accessToken, '/api/v1/admin/partners', {
      name: 'seed check benefits admin',
      vendorId: vendor.body.id,
      type: 'benefits_admin',
      organizationIds: [cliOrg, serviceOrg],
      categories: ALL_CATEGORIES,
      purpose: 'operations',
      requiresConsent: false,
    });
    expect(partner.status).toBe(201);
    const client = await createClient(api, security.accessToken, partner.body.id, {
      authMethod: 'client_secret_basic',
      scopes: ['members:read'],
    });
    token = await clientToken(api, client);
  }, 120_000);
  afterAll(() => api.close());

  it('prints a JSON summary and creates its own organization when none is given', async () => {
    expect(cliRun.code).toBe(0);
    const summary = JSON.parse(cliRun.stdout.trim().split('\n').pop()!);
    expect(summary).toEqual({
      organizationId: expect.stringMatching(/^org_/),
      members: MEMBERS,
      seconds: expect.any(Number),
    });
    const [org] = await sql(api, 'select name from organization where id = $1', [cliOrg]);
    expect(org).toEqual({ name: `Synthetic Org ${SEED}` });
  });

  it('writes one system audit event per batch, naming every member of the batch', async () => {
    const events = await sql<{ actor_type: string; actor_id: string; resource_ids: string[] }>(
      api,
      `select actor_type, actor_id, resource_ids from audit_event where action = 'member.seed' order by id`,
    );
    const cliIds = [...(await indexesOf(cliOrg)).keys()];
    const cliEvents = events.filter((e) => cliIds.includes(e.resource_ids[0]));
    expect(cliEvents.map((e) => e.resource_ids.length)).toEqual([50, 50, 20]);
    expect(cliEvents.flatMap((e) => e.resource_ids).sort()).toEqual(cliIds.sort());
    expect(cliEvents.every((e) => e.actor_type === 'system' && e.actor_id === 'cli:seed')).toBe(true);
    expect(events.filter((e) => e.actor_id === 'test:seed').map((e) => e.resource_ids.length)).toEqual([
      64, 56,
    ]);
  });

  it('seeds members that read back through the API exactly as the generator made them', async () => {
    const indexes = await indexesOf(cliOrg);
    expect([...indexes.values()].sort((a, b) => a - b)).toEqual([...Array(MEMBERS).keys()]);
    for (const [id, index] of indexes) {
      const res = await read(id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id,
        organizationId: cliOrg,
        version: 1,
        status: 'active',
        updatedAt: expect.any(String),
        ...groupsOf(generator.member(index)),
      });
    }
    const listed = await api
      .http()
      .get('/api/v1/members')
      .query({ organizationId: cliOrg, limit: 200 })
      .set('authorization', `Bearer ${token}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((m: { id: string }) => m.id).sort()).toEqual([...indexes.keys()].sort());
  });

  it('yields the same members for the same seed, under new ids and new ciphertexts', async () => {
    const fromCli = await indexesOf(cliOrg);
    const fromService = await indexesOf(serviceOrg);
    const byIndex = new Map([...fromService].map(([id, index]) => [index, id]));
    const sample = [...fromCli].slice(0, 25);
    for (const [cliId, index] of sample) {
      const serviceId = byIndex.get(index)!;
      expect(serviceId).not.toBe(cliId);
      const [a, b] = [(await read(cliId)).body, (await read(serviceId)).body];
      const strip = ({ id: _i, organizationId: _o, updatedAt: _u, ...rest }: Record<string, unknown>) => rest;
      expect(strip(b)).toEqual(strip(a));
    }
    const [differs] = await sql<{ n: number }>(
      api,
      `select count(*)::int as n from member a join member b on a.source_ref = b.source_ref and a.id <> b.id
       where a.organization_id = $1 and b.organization_id = $2 and a.ssn_enc = b.ssn_enc`,
      [cliOrg, serviceOrg],
    );
    expect(differs.n).toBe(0);
  });

  it('leaves no generated SSN, e-mail, phone or name in clear in a pg_dump', () => {
    const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
      maxBuffer: 512 * 1024 * 1024,
    }).toString();
    expect(dump).toContain('synthetic-424242-119');
    const members = [...generator.members(0, MEMBERS)];
    const literal = members.flatMap((m) => [
      m.governmentId.ssn,
      m.governmentId.ssn.replace(/-/g, ''),
      m.contact.email,
      m.contact.phone,
      m.contact.address.line1,
      m.membership.externalMemberNumber,
      `${m.identity.givenName} ${m.identity.familyName}`,
    ]);
    for (const canary of literal) expect(dump).not.toContain(canary);
    // A short name can occur inside base64 by chance; in clear it would stand between delimiters.
    const names = new Set(
      members.flatMap((m) => [
        m.identity.givenName,
        m.identity.familyName,
        ...m.dependents.flatMap((d) => [d.givenName, d.familyName]),
      ]),
    );
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found = [...names].filter((name) =>
      new RegExp(`(?<![A-Za-z0-9+/=_-])${escape(name)}(?![A-Za-z0-9+/=_-])`).test(dump),
    );
    expect(found).toEqual([]);
  });

  it('refuses a malformed member count with the usage line', async () => {
    const run = await runCli(api, ['seed', '--members', 'many', '--seed', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('usage: seed --members N --seed S');
  });
});
