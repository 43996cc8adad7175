import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditModule } from '@app/audit';
import { DATA_CATEGORIES, type Actor, type PartnerPrincipal } from '@app/common';
import { CryptoModule } from '@app/crypto';
import { IdentityModule, OrganizationsService, PartnersService } from '@app/identity';
import { VendorsModule, VendorsService } from '@app/vendors';
import { startTestServices, type TestServices } from '../../../test/support/test-services';
import { MemberChangeFeed, type FeedChange, type FeedPage } from './member-change-feed.service';
import { MemberWriter } from './member.writer';
import { MembersModule } from './members.module';
import { valuesFromGroups } from './projection';
import { SyntheticMemberGenerator } from './synthetic/synthetic-member.generator';

const system: Actor = {
  system: 'test:change-feed',
  request: { ip: '127.0.0.1', method: 'POST', route: 'member-change-feed.int-spec', requestId: randomUUID() },
};

/** Resolves when `resolve` is called: holds a transaction open until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('partner change feed over member_change (commit-safe order)', () => {
  let services: TestServices;
  let em: EntityManager;
  let writer: MemberWriter;
  let sut: MemberChangeFeed;
  let organizationId: string;
  let sourceId: string;
  let partner: Actor;
  let next = 0;

  const query = async <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    em.fork().getConnection().execute<T[]>(text, values);
  const key = (c: Pick<FeedChange, 'memberId' | 'version'>) => `${c.memberId}@${c.version}`;

  async function createMember(): Promise<string> {
    const now = new Date();
    const member = await writer.prepare({
      id: `mbr_${String(++next).padStart(26, '0')}`,
      organizationId,
      sourcePartnerId: sourceId,
      sourceRef: `src-feed-${next}`,
      values: valuesFromGroups(new SyntheticMemberGenerator(7100 + next).member(0)),
      sender: sourceId,
      occurredAt: now,
      now,
    });
    expect(await em.fork().transactional((tx) => writer.create(tx, member))).toBe(true);
    return member.id;
  }

  /** One preference change of a member, in `tx`: it writes the change's member_change row. */
  async function changePreferences(tx: EntityManager, memberId: string): Promise<number> {
    const now = new Date();
    const locked = await writer.lock(tx, memberId);
    return writer.replaceFields(
      tx,
      locked!,
      valuesFromGroups({ preferences: { channel: 'sms', language: 'es', marketingOptIn: next++ % 2 === 0 } }),
      { sender: sourceId, occurredAt: now, now },
    );
  }

  /**
   * Reads pages from `cursor` until `want` changes arrived, or a few seconds passed: a transaction
   * running anywhere on the server (other suites' too) holds the horizon back for a moment.
   */
  async function readUntil(
    cursor: string | undefined,
    want: number,
  ): Promise<{ changes: FeedChange[]; cursor: string }> {
    const changes: FeedChange[] = [];
    let at = cursor;
    for (let i = 0; i < 200 && changes.length < want; i++) {
      const page: FeedPage = await sut.page(partner, { cursor: at, limit: 2 });
      changes.push(...page.changes);
      at = page.nextCursor;
      if (!page.hasMore && changes.length < want) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { changes, cursor: at! };
  }

  beforeAll(async () => {
    services = await startTestServices({
      imports: [CryptoModule, AuditModule, VendorsModule, IdentityModule, MembersModule],
    });
    em = services.get(EntityManager);
    writer = services.get(MemberWriter);
    sut = services.get(MemberChangeFeed);
    organizationId = (await services.get(OrganizationsService).create('Feed Org', system)).id;
    const { id: vendorId } = await services.get(VendorsService).create(
      {
        name: 'Feed Vendor',
        role: 'partner',
        baa: {
          status: 'signed',
          signedAt: '2026-01-02',
          effectiveFrom: '2026-01-02',
          expiresAt: '2028-01-01',
          documentSha256: 'd'.repeat(64),
          permittedCategories: [...DATA_CATEGORIES],
        },
      } as never,
      system,
    );
    const registration = {
      vendorId,
      organizationIds: [organizationId],
      categories: [...DATA_CATEGORIES],
      purpose: 'operations',
      requiresConsent: false,
    };
    sourceId = (
      await services
        .get(PartnersService)
        .create({ name: 'Feed Source', type: 'membership_system', ...registration } as never, system)
    ).id;
    const readerId = (
      await services
        .get(PartnersService)
        .create({ name: 'Feed Reader', type: 'benefits_admin', ...registration } as never, system)
    ).id;
    const principal: PartnerPrincipal = {
      kind: 'partner_client',
      id: 'cli_FEED',
      partnerId: readerId,
      partnerType: 'benefits_admin',
      ...registration,
      scopes: new Set(['members:read']),
    };
    partner = { principal, request: { ...system.request, method: 'GET', route: '/api/v1/changes' } };
  });
  afterAll(() => services.close());

  it('fills tx for every change the writers make (the column default, no statement changed)', async () => {
    const id = await createMember();
    await em.fork().transactional((tx) => changePreferences(tx, id));
    const rows = await query<{ kind: string; same: boolean }>(
      `select kind, tx = (select tx from member_change where member_id = ? and version = 1) as same
         from member_change where member_id = ? order by seq`,
      [id, id],
    );
    expect(rows).toEqual([
      { kind: 'create', same: true },
      { kind: 'update', same: false },
    ]);
  });

  it('never moves past a change whose transaction is still open, then serves both changes exactly once', async () => {
    const a = await createMember();
    const b = await createMember();
    // Catch up first: everything committed so far, so the cursor sits after b's create.
    const [{ n }] = await query<{ n: number }>(
      'select count(*)::int as n from member_change where organization_id = ?',
      [organizationId],
    );
    const caughtUp = await readUntil(undefined, n);
    expect(caughtUp.changes.map(key).slice(-2)).toEqual([`${a}@1`, `${b}@1`]);
    let cursor = caughtUp.cursor;
    const [{ seq: cursorSeq }] = await query<{ seq: string }>(
      'select seq::text as seq from member_change where member_id = ? and version = 1',
      [b],
    );

    // T1 writes a's change (the lower seq) and stays open; T2 writes b's change and commits.
    const inserted = gate();
    const release = gate();
    const t1 = em.fork().transactional(async (tx) => {
      const version = await changePreferences(tx, a);
      inserted.open();
      await release.promise;
      return version;
    });
    let t1Settled = false;
    try {
      await inserted.promise;
      expect(await em.fork().transactional((tx) => changePreferences(tx, b))).toBe(2);

      // Positive control: a plain seq cursor would serve b's change now and step over a's later.
      const bySeq = await query<{ member_id: string }>(
        'select member_id from member_change where organization_id = ? and seq > ? order by seq',
        [organizationId, cursorSeq],
      );
      expect(bySeq).toEqual([{ member_id: b }]);

      const whileOpen = await sut.page(partner, { cursor, limit: 200 });
      expect(whileOpen.changes).toEqual([]);
      expect(whileOpen.hasMore).toBe(false);
      cursor = whileOpen.nextCursor;

      release.open();
      expect(await t1).toBe(2);
      t1Settled = true;
    } finally {
      if (!t1Settled) {
        release.open();
        await t1.catch(() => undefined);
      }
    }
    const [seqA, seqB] = await query<{ seq: string }>(
      `select seq::text as seq from member_change where version = 2 and member_id in (?, ?) order by member_id`,
      [a, b],
    );
    // The scenario really is out of order: a's change has the lower seq but committed last.
    expect(BigInt(seqA.seq)).toBeLessThan(BigInt(seqB.seq));

    const after = await readUntil(cursor, 2);
    expect(after.changes.map(key)).toEqual([`${a}@2`, `${b}@2`]);
    // And nothing twice: the cursor after both has nothing more to give.
    const rest = await sut.page(partner, { cursor: after.cursor, limit: 200 });
    expect(rest.changes).toEqual([]);
  });
});
