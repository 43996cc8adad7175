import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditModule } from '@app/audit';
import {
  DATA_CATEGORIES,
  ManualClock,
  newId,
  type Actor,
  type DataCategory,
  type PartnerPrincipal,
} from '@app/common';
import { CryptoModule } from '@app/crypto';
import { IdentityModule, OrganizationsService, PartnersService } from '@app/identity';
import { MemberAccessPolicy, MembersModule } from '@app/members';
import { VendorsModule, VendorsService } from '@app/vendors';
import { startTestServices, type TestServices } from '../../../test/support/test-services';
import { ConsentModule } from './consent.module';
import { ConsentsService } from './consents.service';
import { MemberConsentLookup } from './member-consent.lookup';

const admin: Actor = {
  system: 'test:consents',
  request: {
    ip: '127.0.0.1',
    method: 'POST',
    route: 'member-consent.lookup.int-spec',
    requestId: randomUUID(),
  },
};
const HOUR = 3_600_000;

describe('consent lookup for a page of members, on a migrated database', () => {
  const clock = new ManualClock(new Date('2026-12-01T12:00:00.000Z'));
  let services: TestServices;
  let em: EntityManager;
  let consents: ConsentsService;
  let orgA: string;
  let orgB: string;
  let marketer: string;
  let other: string;
  let members: string[];

  async function insertMember(organizationId: string): Promise<string> {
    const id = newId('member');
    await em
      .fork()
      .getConnection()
      .execute('insert into member (id, organization_id) values (?, ?)', [id, organizationId]);
    return id;
  }

  async function consent(
    memberId: string,
    partnerId: string,
    categories: DataCategory[],
    options: { validFrom?: Date; validUntil?: Date; purpose?: string } = {},
  ): Promise<string> {
    const { id } = await consents.create(admin, {
      memberId,
      partnerId,
      purpose: options.purpose ?? 'marketing',
      categories,
      validFrom: (options.validFrom ?? new Date(clock.nowMs() - HOUR)).toISOString(),
      validUntil: options.validUntil?.toISOString(),
      evidenceSha256: 'a'.repeat(64),
    });
    return id;
  }

  const principal = (partnerId: string): PartnerPrincipal => ({
    kind: 'partner_client',
    id: 'cli_INT',
    partnerId,
    partnerType: 'wellness_app',
    vendorId: 'vnd_INT',
    organizationIds: [orgA],
    categories: [...DATA_CATEGORIES],
    purpose: 'marketing',
    requiresConsent: true,
    scopes: new Set(['members:read']),
  });

  beforeAll(async () => {
    services = await startTestServices({
      imports: [CryptoModule, AuditModule, VendorsModule, IdentityModule, MembersModule, ConsentModule],
      clock,
    });
    em = services.get(EntityManager);
    consents = services.get(ConsentsService);
    orgA = (await services.get(OrganizationsService).create('Consent Org A', admin)).id;
    orgB = (await services.get(OrganizationsService).create('Consent Org B', admin)).id;
    const { id: vendorId } = await services.get(VendorsService).create(
      {
        name: 'Consent Vendor',
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
      admin,
    );
    const registration = {
      vendorId,
      type: 'wellness_app',
      organizationIds: [orgA, orgB],
      categories: [...DATA_CATEGORIES],
      purpose: 'marketing',
      requiresConsent: true,
    };
    const partners = services.get(PartnersService);
    marketer = (await partners.create({ name: 'Marketer', ...registration } as never, admin)).id;
    other = (await partners.create({ name: 'Other Marketer', ...registration } as never, admin)).id;
    members = [];
    for (let i = 0; i < 120; i++) members.push(await insertMember(orgA));
  });

  afterAll(() => services?.close());

  it('answers a page of many members in one query, each with the union of its consents in effect', async () => {
    const [a, b, c, d, e, f] = members;
    await consent(a, marketer, ['contact']);
    await consent(a, marketer, ['identity', 'contact']);
    await consent(b, marketer, ['preferences']);
    await consents.revoke(admin, await consent(c, marketer, ['contact']), 'TICKET-1 member withdrew');
    await consent(d, marketer, ['contact'], {
      validFrom: new Date(clock.nowMs() - 2 * HOUR),
      validUntil: new Date(clock.nowMs() - 60_000),
    });
    await consent(e, marketer, ['contact'], { validFrom: new Date(clock.nowMs() + HOUR) });
    await consent(f, other, ['contact']);
    // Every other member has a consent of the marketer too, so the page is not mostly empty.
    for (const id of members.slice(6)) await consent(id, marketer, ['coverage']);

    const sut = services.get(MemberConsentLookup);
    const client = em.getConnection().getKnex().client as { acquireConnection: () => Promise<unknown> };
    const acquire = jest.spyOn(client, 'acquireConnection');
    const answer = await sut.consentedCategories({
      partnerId: marketer,
      purpose: 'marketing',
      organizationIds: [orgA],
      memberIds: members,
      now: clock.now(),
    });
    expect(acquire).toHaveBeenCalledTimes(1);
    acquire.mockRestore();

    expect(answer.get(a)).toEqual(['identity', 'contact']);
    expect(answer.get(b)).toEqual(['preferences']);
    expect(answer.has(c)).toBe(false);
    expect(answer.has(d)).toBe(false);
    expect(answer.has(e)).toBe(false);
    expect(answer.has(f)).toBe(false);
    expect(answer.size).toBe(members.length - 4);
  });

  it("reads only the organizations it is given: a consent is never answered for another organization's query", async () => {
    const sut = services.get(MemberConsentLookup);
    const answer = await sut.consentedCategories({
      partnerId: marketer,
      purpose: 'marketing',
      organizationIds: [orgB],
      memberIds: members.slice(0, 2),
      now: clock.now(),
    });
    expect(answer.size).toBe(0);
  });

  it('lets the access policy see a consent expire as the clock passes validUntil, with no cache', async () => {
    const member = await insertMember(orgA);
    await consent(member, marketer, ['contact'], { validUntil: new Date(clock.nowMs() + HOUR) });
    const policy = services.get(MemberAccessPolicy);
    const page = [{ id: member, organizationId: orgA }];
    expect((await policy.visibleCategories(principal(marketer), ['contact'], page)).get(member)).toEqual([
      'contact',
    ]);
    clock.advance(HOUR);
    expect((await policy.visibleCategories(principal(marketer), ['contact'], page)).get(member)).toEqual([]);
    clock.advance(-HOUR);
  });

  it("keeps every consent: the service's database role may not delete one", async () => {
    const id = await consent(members[0], marketer, ['contact']);
    await expect(em.fork().getConnection().execute('delete from consent where id = ?', [id])).rejects.toThrow(
      /permission denied/,
    );
  });
});
