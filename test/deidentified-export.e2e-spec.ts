import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { DATA_CATEGORIES, ManualClock } from '@app/common';
import {
  MemberSeeder,
  RESTRICTED_ZIP3,
  SYNTHETIC_PLAN_CODES,
  SyntheticMemberGenerator,
  type SyntheticMember,
} from '@app/members';
import {
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
  type PartnerSetup,
} from './support/identity-fixtures';
import { clientToken, createMember, syntheticMember } from './support/member-fixtures';
import { startTestApi, testTlsFiles, type TestApi } from './support/test-app';

const SEED = 20261130;
const MEMBERS = 10_000;
const PATH = '/api/v1/admin/exports/deidentified';
const PSEUDONYM = /^anon_[0-9A-HJKMNP-TV-Z]{26}$/;

type Line = Record<string, unknown> & {
  pseudonym: string;
  organizationId: string;
  identity?: { birthYear: number | null; ageBand: string | null; sex: string };
  contact?: { address: { state: string | null; country: string | null; zip3: string | null } };
  coverage?: { planCode: string };
  dependents?: Array<{ relationship: string; birthYear: number | null; ageBand: string | null }>;
};

/** Every key and leaf value of a parsed line, as strings: what an identifier would have to be among. */
function leaves(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) leaves(v, into);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      leaves(v, into);
    }
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    into.add(String(value));
  return into;
}

/** The identifiers Safe Harbor removes or generalizes, of one generated member, as they were sent. */
function identifiersOf(m: SyntheticMember): string[] {
  return [
    m.identity.givenName,
    m.identity.familyName,
    m.identity.dateOfBirth,
    m.governmentId.ssn,
    m.governmentId.ssn.replace(/-/g, ''),
    m.contact.email,
    m.contact.phone,
    m.contact.address.line1,
    ...(m.contact.address.line2 ? [m.contact.address.line2] : []),
    m.contact.address.city,
    m.contact.address.postalCode,
    m.membership.externalMemberNumber,
    m.membership.employerGroupId,
    m.coverage.effectiveDate,
    ...(m.coverage.terminationDate ? [m.coverage.terminationDate] : []),
    ...m.dependents.flatMap((d) => [d.givenName, d.familyName, d.dateOfBirth]),
    ...m.wellness.programs.map((p) => p.enrolledAt),
  ];
}

const sorted = <T>(values: T[]) => [...values].sort();

describe('de-identified export GET /api/v1/admin/exports/deidentified (Safe Harbor)', () => {
  const clock = new ManualClock(new Date('2026-11-30T12:00:00Z'));
  const generator = new SyntheticMemberGenerator(SEED);
  const seeded = [...generator.members(0, MEMBERS)];
  let api: TestApi;
  let officer: AdminSession;
  let operator: AdminSession;
  let seededOrg: string;
  let elderly: PartnerSetup;
  let exported: { status: number; type: string; text: string; lines: Line[] };

  const download = (token: string, query: Record<string, string> = {}) =>
    api.http().get(PATH).query(query).set('authorization', `Bearer ${token}`).buffer(true);

  async function exportOf(query: Record<string, string>) {
    const res = await download(officer.accessToken, query);
    const text = res.text;
    const lines =
      res.status === 200
        ? text
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as Line)
        : [];
    return { status: res.status, type: String(res.headers['content-type']), text, lines };
  }

  beforeAll(async () => {
    api = await startTestApi({ clock });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    operator = await loginAdmin(api, clock, 'operator');
    const security = await loginAdmin(api, clock, 'security_admin');
    // Through the seeder (the real sealing path), not 10,000 HTTP creates.
    seededOrg = (
      await api.app.get(MemberSeeder).seed({
        actor: {
          system: 'test:seed',
          request: { ip: '127.0.0.1', method: 'CLI', route: 'seed', requestId: randomUUID() },
        },
        members: MEMBERS,
        seed: SEED,
      })
    ).organizationId;
    // The generator makes no one over 66: three members over 89 come through the API instead.
    elderly = await setupPartner(api, officer.accessToken, {
      type: 'membership_system',
      categories: [...DATA_CATEGORIES],
    });
    const source = await createClient(api, security.accessToken, elderly.partnerId, {
      authMethod: 'client_secret_basic',
      scopes: ['sync:write'],
    });
    const sourceToken = await clientToken(api, source);
    for (const [born, spouseBorn] of [
      ['1931-03-14', '1933-07-01'],
      ['1936-12-31', '1958-02-02'],
      ['1940-06-30', '1929-10-10'],
    ]) {
      const body = syntheticMember(elderly.organizationId);
      await createMember(api, sourceToken, {
        ...body,
        identity: { ...body.identity, dateOfBirth: born },
        dependents: [{ ...body.dependents[0], relationship: 'spouse', dateOfBirth: spouseBorn }],
      });
    }
    exported = await exportOf({ organizationId: seededOrg });
  }, 240_000);
  afterAll(() => api.close());

  it('streams one NDJSON line per seeded member', () => {
    expect(exported.status).toBe(200);
    expect(exported.type).toContain('application/x-ndjson');
    expect(exported.lines).toHaveLength(MEMBERS);
    expect(exported.lines.every((l) => PSEUDONYM.test(l.pseudonym))).toBe(true);
    expect(new Set(exported.lines.map((l) => l.pseudonym)).size).toBe(MEMBERS);
  });

  it('keeps what analytics needs (positive control): plan codes, birth years, ZIP-3s, states', () => {
    expect(sorted(exported.lines.map((l) => l.coverage!.planCode))).toEqual(
      sorted(seeded.map((m) => m.coverage.planCode)),
    );
    expect(new Set(exported.lines.map((l) => l.coverage!.planCode))).toEqual(new Set(SYNTHETIC_PLAN_CODES));
    expect(sorted(exported.lines.map((l) => String(l.identity!.birthYear)))).toEqual(
      sorted(seeded.map((m) => m.identity.dateOfBirth.slice(0, 4))),
    );
    expect(sorted(exported.lines.map((l) => l.contact!.address.state!))).toEqual(
      sorted(seeded.map((m) => m.contact.address.state)),
    );
    expect(
      exported.lines.some((l) => (l.dependents ?? []).some((d) => typeof d.birthYear === 'number')),
    ).toBe(true);
  });

  it('generalizes ZIP codes to 3 digits, and the 17 sparsely populated areas to 000', () => {
    const zip3s = exported.lines.map((l) => l.contact!.address.zip3!);
    expect(zip3s.every((z) => /^\d{3}$/.test(z))).toBe(true);
    const expected = seeded.map((m) => {
      const zip = m.contact.address.postalCode.slice(0, 3);
      return RESTRICTED_ZIP3.has(zip) ? '000' : zip;
    });
    expect(sorted(zip3s)).toEqual(sorted(expected));
    const restricted = expected.filter((z) => z === '000').length;
    expect(restricted).toBeGreaterThan(0);
    expect(zip3s.filter((z) => z === '000')).toHaveLength(restricted);
    expect(zip3s.some((z) => RESTRICTED_ZIP3.has(z))).toBe(false);
  });

  it('contains none of the members’ names, SSNs, e-mails, phones, full dates, streets, cities, ZIPs, numbers or ids', async () => {
    const values = new Set<string>();
    for (const line of exported.lines) leaves(line, values);
    const leaked = seeded.flatMap(identifiersOf).filter((identifier) => values.has(identifier));
    expect(leaked).toEqual([]);

    // Pseudonyms and the organization id are random base32; what is left must hold no identifier shape.
    const rest = exported.lines
      .map(({ pseudonym: _p, organizationId: _o, ...line }) => JSON.stringify(line))
      .join('\n');
    expect(rest).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(rest).not.toMatch(/\d{5}/);
    expect(rest).not.toContain('@');
    expect(exported.text).not.toContain('mbr_');
    const ids = await sql<{ id: string }>(api, 'select id from member where organization_id = $1', [
      seededOrg,
    ]);
    expect(ids).toHaveLength(MEMBERS);
    expect(ids.filter(({ id }) => values.has(id))).toEqual([]);

    // Digits only, separators gone: no phone (with or without its country code) and no SSN survives.
    const digits = rest.replace(/\D/g, '');
    const numbers = seeded.flatMap((m) => [
      m.contact.phone.replace(/\D/g, ''),
      m.contact.phone.replace(/\D/g, '').slice(1),
      m.governmentId.ssn.replace(/\D/g, ''),
    ]);
    expect(numbers.filter((n) => digits.includes(n))).toEqual([]);
  });

  it('groups members and dependents over 89 into 90+ without a birth year', async () => {
    const { status, lines } = await exportOf({ organizationId: elderly.organizationId });
    expect(status).toBe(200);
    expect(lines).toHaveLength(3);
    const ages = (people: Array<{ birthYear: number | null; ageBand: string | null }>) =>
      sorted(people.map((p) => `${p.birthYear}/${p.ageBand}`));
    // Born 1931, and 1936 (90 before the year ends) are grouped; 1940 (86) keeps its year.
    expect(ages(lines.map((l) => l.identity!))).toEqual(['1940/null', 'null/90+', 'null/90+']);
    expect(ages(lines.map((l) => l.dependents![0]))).toEqual(['1958/null', 'null/90+', 'null/90+']);
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    for (const year of ['1929', '1931', '1933', '1936']) expect(text).not.toContain(year);
  });

  it('audits each export once, with the admin and the count, not once per member', async () => {
    const events = await sql<{ actor_id: string; reason: string; resource_ids: string[]; outcome: string }>(
      api,
      `select actor_id, reason, resource_ids, outcome from audit_event
        where action = 'member.export_deidentified' order by seq`,
    );
    expect(events).toEqual([
      { actor_id: officer.id, reason: `members:${MEMBERS}`, resource_ids: [seededOrg], outcome: 'success' },
      {
        actor_id: officer.id,
        reason: 'members:3',
        resource_ids: [elderly.organizationId],
        outcome: 'success',
      },
    ]);
    const [reads] = await sql<{ n: number }>(
      api,
      `select count(*)::int as n from audit_event where actor_id = $1 and action like 'member.%'
        and action <> 'member.export_deidentified'`,
      [officer.id],
    );
    expect(reads.n).toBe(0);
  });

  it('exports every organization without a filter', async () => {
    const { status, lines } = await exportOf({});
    expect(status).toBe(200);
    expect(lines).toHaveLength(MEMBERS + 3);
    expect(new Set(lines.map((l) => l.organizationId))).toEqual(new Set([seededOrg, elderly.organizationId]));
  });

  /**
   * Connections of this suite's database left inside a transaction, once a moment has passed: a
   * request's own transaction is idle in it only briefly; a leaked export snapshot stays.
   */
  async function idleInTransaction(): Promise<number> {
    let n = 0;
    for (let i = 0; i < 100; i++) {
      [{ n }] = await sql<{ n: number }>(
        api,
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and state like 'idle in transaction%'`,
      );
      if (n === 0) return 0;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return n;
  }

  it('ends its snapshot when the download completes, and when the client hangs up midway', async () => {
    expect(await idleInTransaction()).toBe(0);
    const firstChunk = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${api.baseUrl}${PATH}`,
        {
          headers: { authorization: `Bearer ${officer.accessToken}` },
          ca: readFileSync(testTlsFiles().cert),
        },
        (res) => {
          res.once('data', (chunk: Buffer) => {
            req.destroy();
            resolve(chunk.length);
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ECONNRESET') reject(error);
      });
      req.end();
    });
    expect(firstChunk).toBeGreaterThan(0);
    expect(await idleInTransaction()).toBe(0);
  });

  it('refuses an operator (403), an unknown organization (404) and a malformed one (400)', async () => {
    const asOperator = await download(operator.accessToken);
    expect(asOperator.status).toBe(403);
    expect(asOperator.text).not.toContain('pseudonym');
    expect((await exportOf({ organizationId: `org_${'Z'.repeat(26)}` })).status).toBe(404);
    expect((await exportOf({ organizationId: 'not-an-org' })).status).toBe(400);
  });
});
