import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { AuditModule } from '@app/audit';
import { DATA_CATEGORIES, type Actor, type DataCategory, type PartnerPrincipal } from '@app/common';
import { CryptoModule } from '@app/crypto';
import { IdentityModule, OrganizationsService, PartnersService } from '@app/identity';
import { VendorsModule, VendorsService } from '@app/vendors';
import { startTestServices, type TestServices } from '../../../test/support/test-services';
import { MEMBER_FIELD_NAMES } from './catalog/field-catalog';
import { MemberAccessPolicy } from './member-access.policy';
import { MemberCipher } from './member-cipher';
import { MemberKeysOwner } from './member-keys.owner';
import { BaaRequired } from './member.errors';
import { MemberStore } from './member.store';
import { MemberWriter } from './member.writer';
import { MembersModule } from './members.module';
import { valuesFromGroups, type MemberValues } from './projection';
import { SyntheticMemberGenerator } from './synthetic/synthetic-member.generator';

const actor: Actor = {
  system: 'test:members',
  request: { ip: '127.0.0.1', method: 'POST', route: 'member.writer.int-spec', requestId: randomUUID() },
};
const preferences = valuesFromGroups({
  preferences: { channel: 'sms', language: 'es', marketingOptIn: true },
});

describe('member writes, changes and access policy on a migrated database', () => {
  let services: TestServices;
  let em: EntityManager;
  let writer: MemberWriter;
  let store: MemberStore;
  let organizationId: string;
  let partnerId: string;
  let vendorId: string;
  let expiredVendorId: string;
  let next = 0;

  const query = async <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    em.fork().getConnection().execute<T[]>(text, values);

  async function vendor(expiresAt: string): Promise<string> {
    const { id } = await services.get(VendorsService).create(
      {
        name: `Vendor ${expiresAt}`,
        role: 'partner',
        baa: {
          status: 'signed',
          signedAt: '2026-01-02',
          effectiveFrom: '2026-01-02',
          expiresAt,
          documentSha256: 'c'.repeat(64),
          permittedCategories: [...DATA_CATEGORIES],
        },
      } as never,
      actor,
    );
    return id;
  }

  async function createMember(): Promise<{ id: string; values: MemberValues }> {
    const values = valuesFromGroups(new SyntheticMemberGenerator(9000 + next).member(0));
    const now = new Date();
    const member = await writer.prepare({
      id: `mbr_${String(next++).padStart(26, '0')}`,
      organizationId,
      sourcePartnerId: partnerId,
      sourceRef: `src-${next}`,
      values,
      sender: partnerId,
      occurredAt: now,
      now,
    });
    expect(await em.fork().transactional((tx) => writer.create(tx, member))).toBe(true);
    return { id: member.id, values };
  }

  /** The test's own instrumentation, as the schema owner: the service role may not create functions nor see other sessions. */
  async function asOwner<T>(text: string): Promise<T[]> {
    const client = new Client({ connectionString: services.database.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async function openAll(id: string): Promise<MemberValues> {
    const stored = await store.findLive(id, MEMBER_FIELD_NAMES);
    return services.get(MemberCipher).open(stored!);
  }

  beforeAll(async () => {
    services = await startTestServices({
      imports: [CryptoModule, AuditModule, VendorsModule, IdentityModule, MembersModule],
    });
    em = services.get(EntityManager);
    writer = services.get(MemberWriter);
    store = services.get(MemberStore);
    organizationId = (await services.get(OrganizationsService).create('Int Org', actor)).id;
    vendorId = await vendor('2028-01-01');
    expiredVendorId = await vendor('2026-06-01');
    partnerId = (
      await services.get(PartnersService).create(
        {
          name: 'Int Source',
          vendorId,
          type: 'membership_system',
          organizationIds: [organizationId],
          categories: [...DATA_CATEGORIES],
          purpose: 'operations',
          requiresConsent: false,
        } as never,
        actor,
      )
    ).id;
  });
  afterAll(() => services.close());

  it('records each change in member_change in its own transaction: fields and sender, never values', async () => {
    const { id, values } = await createMember();
    const now = new Date();
    const version = await em.fork().transactional(async (tx) => {
      const locked = await writer.lock(tx, id);
      return writer.replaceFields(tx, locked!, preferences, { sender: 'prt_SENDER', occurredAt: now, now });
    });
    expect(version).toBe(2);
    const changes = await query<{ version: string; kind: string; fields: string[]; sender: string }>(
      'select version, kind, fields, sender from member_change where member_id = ? order by seq',
      [id],
    );
    expect(changes).toEqual([
      { version: '1', kind: 'create', fields: Object.keys(values), sender: partnerId },
      { version: '2', kind: 'update', fields: Object.keys(preferences), sender: 'prt_SENDER' },
    ]);
    const [{ field_meta: meta }] = await query<{ field_meta: Record<string, { source: string }> }>(
      'select field_meta from member where id = ?',
      [id],
    );
    expect(meta.channel.source).toBe('prt_SENDER');
    expect(meta.givenName.source).toBe(partnerId);
    expect(await openAll(id)).toEqual({ ...values, ...preferences });
  });

  it('rolls a member_change row back with the change it describes', async () => {
    const { id } = await createMember();
    const now = new Date();
    await expect(
      em.fork().transactional(async (tx) => {
        const locked = await writer.lock(tx, id);
        await writer.replaceFields(tx, locked!, preferences, { sender: 'prt_SENDER', occurredAt: now, now });
        throw new Error('the audit write failed');
      }),
    ).rejects.toThrow('the audit write failed');
    const changes = await query<{ kind: string }>('select kind from member_change where member_id = ?', [id]);
    expect(changes).toEqual([{ kind: 'create' }]);
    const [{ version }] = await query<{ version: string }>('select version from member where id = ?', [id]);
    expect(version).toBe('1');
  });

  it('lets the service role append and read member_change but never change or delete it', async () => {
    const { id } = await createMember();
    const client = new Client({ connectionString: services.config.database.url });
    await client.connect();
    try {
      await client.query(`set role ${services.config.database.appRole}`);
      expect((await client.query('select 1 from member_change where member_id = $1', [id])).rowCount).toBe(1);
      await expect(
        client.query(`update member_change set sender = 'x' where member_id = $1`, [id]),
      ).rejects.toThrow(/permission denied/);
      await expect(client.query('delete from member_change where member_id = $1', [id])).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await client.end();
    }
  });

  it('seals a write that waited on a re-encryption batch under the key that batch committed', async () => {
    const { id, values } = await createMember();
    await asOwner(`create function int_slow_key() returns trigger language plpgsql as $$
      begin perform pg_sleep(2); return new; end $$`);
    await asOwner(`create trigger int_slow_key before update on member_key for each row
      when (old.member_id = '${id}') execute function int_slow_key()`);
    const waiting = async (condition: string) => {
      for (let i = 0; i < 200; i++) {
        const [{ n }] = await asOwner<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and ${condition}`,
        );
        if (n > 0) return true;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return false;
    };
    try {
      const batch = services.get(MemberKeysOwner).rewrapBatch(null, 200, { reencrypt: true });
      expect(await waiting(`wait_event = 'PgSleep'`)).toBe(true);
      const now = new Date();
      const write = em.fork().transactional(async (tx) => {
        const locked = await writer.lock(tx, id);
        return writer.replaceFields(tx, locked!, preferences, { sender: 'prt_SENDER', occurredAt: now, now });
      });
      expect(await waiting(`wait_event_type = 'Lock'`)).toBe(true);
      await batch;
      expect(await write).toBe(2);
    } finally {
      await asOwner('drop trigger if exists int_slow_key on member_key');
      await asOwner('drop function if exists int_slow_key()');
    }
    const [{ version }] = await query<{ version: number }>(
      'select version from member_key where member_id = ?',
      [id],
    );
    expect(version).toBe(2);
    expect(await openAll(id)).toEqual({ ...values, ...preferences });
  }, 30_000);

  describe('access policy', () => {
    const principal = (vendor: string, categories: DataCategory[]): PartnerPrincipal => ({
      kind: 'partner_client',
      id: 'cli_INT',
      partnerId,
      partnerType: 'benefits_admin',
      vendorId: vendor,
      organizationIds: [organizationId],
      categories,
      purpose: 'operations',
      requiresConsent: false,
      scopes: new Set(['members:read']),
    });

    it('reads scope ∩ registration ∩ BAA, answered per member for a page', async () => {
      const sut = services.get(MemberAccessPolicy);
      const partner = principal(vendorId, ['identity', 'contact', 'preferences']);
      const readable = await sut.readable({ ...actor, principal: partner }, partner, 'member.list');
      expect(readable).toEqual(expect.arrayContaining(['identity', 'contact']));
      expect(readable.every((c) => partner.categories.includes(c))).toBe(true);
      const members = [
        { id: 'mbr_A', organizationId },
        { id: 'mbr_B', organizationId },
      ];
      const visible = await sut.visibleCategories(partner, readable, members);
      expect([...visible.keys()]).toEqual(['mbr_A', 'mbr_B']);
      expect(visible.get('mbr_B')).toEqual(readable);
    });

    it('refuses a partner whose BAA has expired, and audits the refusal', async () => {
      const sut = services.get(MemberAccessPolicy);
      const partner = principal(expiredVendorId, ['identity']);
      const requestId = randomUUID();
      await expect(
        sut.readable(
          { principal: partner, request: { ...actor.request, requestId } },
          partner,
          'member.read',
        ),
      ).rejects.toBeInstanceOf(BaaRequired);
      const events = await query<{ reason: string }>(
        'select reason from audit_event where request_id = ? and outcome = ?',
        [requestId, 'denied'],
      );
      expect(events).toEqual([{ reason: 'baa_not_in_effect' }]);
    });
  });
});
