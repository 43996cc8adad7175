import { randomUUID } from 'node:crypto';
import { mock } from 'jest-mock-extended';
import { AlertsService, AuditService } from '@app/audit';
import {
  AccessDenied,
  ManualClock,
  ResourceNotFound,
  type Actor,
  type DataCategory,
  type PartnerPrincipal,
} from '@app/common';
import { VendorsService } from '@app/vendors';
import { MemberAccessPolicy, memberShown } from './member-access.policy';
import { MemberConsents, narrowByConsent, type MemberConsentSource } from './member-consents';
import { valuesFromGroups } from './projection';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const partner = (requiresConsent: boolean): PartnerPrincipal => ({
  kind: 'partner_client',
  id: 'cli_A',
  partnerId: 'prt_A',
  partnerType: 'wellness_app',
  vendorId: 'vnd_A',
  organizationIds: ['org_A'],
  categories: ['identity', 'contact', 'preferences'],
  purpose: 'marketing',
  requiresConsent,
  scopes: new Set(['members:read']),
});
const actorOf = (principal: PartnerPrincipal): Actor => ({
  principal,
  request: { ip: '127.0.0.1', method: 'GET', route: '/api/v1/members', requestId: randomUUID() },
});
const members = [
  { id: 'mbr_A', organizationId: 'org_A' },
  { id: 'mbr_B', organizationId: 'org_A' },
];
const readable: DataCategory[] = ['identity', 'contact', 'preferences'];

function setup(consented?: Record<string, DataCategory[]>) {
  const consents = new MemberConsents();
  const source = mock<MemberConsentSource>();
  source.consentedCategories.mockResolvedValue(new Map(Object.entries(consented ?? {})));
  if (consented) consents.register(source);
  const audit = mock<AuditService>();
  const sut = new MemberAccessPolicy(
    mock<VendorsService>(),
    audit,
    mock<AlertsService>(),
    consents,
    new ManualClock(NOW),
  );
  return { sut, source, audit };
}

describe('narrowByConsent', () => {
  it.each<[string, DataCategory[], DataCategory[] | undefined, DataCategory[]]>([
    ['no consent: nothing', ['identity', 'contact'], undefined, []],
    ['consent for contact only', ['identity', 'contact'], ['contact'], ['contact']],
    ['a consented category the partner may not read stays hidden', ['identity'], ['contact'], []],
    ['in the readable order', ['identity', 'contact'], ['contact', 'identity'], ['identity', 'contact']],
  ])('%s', (_name, readableCategories, consented, expected) => {
    const sut = narrowByConsent;
    expect(sut(readableCategories, consented)).toEqual(expected);
  });
});

describe('memberShown', () => {
  it.each<[string, boolean, DataCategory[] | undefined, boolean]>([
    ['consent partner, a consented category', true, ['contact'], true],
    ['consent partner, no consented category', true, [], false],
    ['consent partner, member not asked about', true, undefined, false],
    ['other partner, envelope only', false, [], true],
    ['other partner, member not asked about', false, undefined, false],
  ])('%s', (_name, requiresConsent, categories, expected) => {
    const sut = memberShown;
    expect(sut(partner(requiresConsent), categories)).toBe(expected);
  });
});

describe('MemberAccessPolicy and consent', () => {
  it('asks nothing about consent for a partner that does not require it', async () => {
    const { sut, source } = setup({});
    const visible = await sut.visibleCategories(partner(false), readable, members);
    expect(Object.fromEntries(visible)).toEqual({ mbr_A: readable, mbr_B: readable });
    expect(source.consentedCategories).not.toHaveBeenCalled();
  });

  it("narrows each member to its consented categories, in one query for the page at the clock's time", async () => {
    const { sut, source } = setup({ mbr_A: ['contact'] });
    const visible = await sut.visibleCategories(partner(true), readable, members);
    expect(Object.fromEntries(visible)).toEqual({ mbr_A: ['contact'], mbr_B: [] });
    expect(source.consentedCategories).toHaveBeenCalledTimes(1);
    expect(source.consentedCategories).toHaveBeenCalledWith({
      partnerId: 'prt_A',
      purpose: 'marketing',
      organizationIds: ['org_A'],
      memberIds: ['mbr_A', 'mbr_B'],
      now: NOW,
    });
  });

  it('hides every member from a consent partner when no consent source is registered (fail closed)', async () => {
    const { sut } = setup();
    const visible = await sut.visibleCategories(partner(true), readable, members);
    expect([...visible.values()].some((c) => memberShown(partner(true), c))).toBe(false);
  });

  describe('writes', () => {
    const preferences = valuesFromGroups({ preferences: { channel: 'sms' } });

    it('answers 404 for a member without consent, audited as no_consent', async () => {
      const { sut, audit } = setup({});
      const principal = partner(true);
      await expect(
        sut.requireConsentedWrite(
          actorOf(principal),
          principal,
          'member.preferences.replace',
          'mbr_A',
          preferences,
        ),
      ).rejects.toBeInstanceOf(ResourceNotFound);
      expect(audit.recordStandalone.mock.calls[0][0]).toMatchObject({
        outcome: 'denied',
        statusCode: 404,
        reason: 'no_consent',
        resourceIds: ['mbr_A'],
      });
    });

    it('refuses (403) a category the consent does not cover', async () => {
      const { sut } = setup({ mbr_A: ['contact'] });
      const principal = partner(true);
      await expect(
        sut.requireConsentedWrite(
          actorOf(principal),
          principal,
          'member.preferences.replace',
          'mbr_A',
          preferences,
        ),
      ).rejects.toBeInstanceOf(AccessDenied);
    });

    it('lets a consented category through', async () => {
      const { sut } = setup({ mbr_A: ['contact', 'preferences'] });
      const principal = partner(true);
      await expect(
        sut.requireConsentedWrite(
          actorOf(principal),
          principal,
          'member.preferences.replace',
          'mbr_A',
          preferences,
        ),
      ).resolves.toBeUndefined();
    });

    it('asks nothing for a partner that does not require consent', async () => {
      const { sut, source } = setup({});
      const principal = partner(false);
      await sut.requireConsentedWrite(
        actorOf(principal),
        principal,
        'member.preferences.replace',
        'mbr_A',
        preferences,
      );
      expect(source.consentedCategories).not.toHaveBeenCalled();
    });
  });
});
