import { mock } from 'jest-mock-extended';
import { AuditService } from '@app/audit';
import { type Actor, type AdminPrincipal, type PartnerPrincipal, ResourceNotFound } from '@app/common';
import { ObjectAccessService } from './object-access.service';
import {
  memberTokenRouteScopes,
  partnerMaySeeMember,
  partnerMaySeeOrganization,
  visibleOrganizations,
} from './object-access';

const partner: PartnerPrincipal = {
  kind: 'partner_client',
  id: 'cli_A',
  partnerId: 'prt_A',
  partnerType: 'carrier',
  vendorId: 'vnd_A',
  organizationIds: ['org_LINKED'],
  categories: ['coverage'],
  purpose: 'eligibility',
  requiresConsent: false,
  scopes: new Set(['members.eligibility:read']),
};
const admin: AdminPrincipal = {
  kind: 'admin',
  id: 'adm_A',
  role: 'compliance_officer',
  scopes: new Set(),
  mfa: true,
  source: 'local',
};
const request = {
  ip: '203.0.113.5',
  method: 'GET',
  route: '/api/v1/members/:memberId',
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
};

describe('partnerMaySeeOrganization', () => {
  it('allows a linked organization and refuses any other', () => {
    expect(partnerMaySeeOrganization(partner, 'org_LINKED')).toBe(true);
    expect(partnerMaySeeOrganization(partner, 'org_OTHER')).toBe(false);
  });

  it('restricts partners to their organizations and leaves admins unrestricted', () => {
    expect(visibleOrganizations(partner)).toEqual(['org_LINKED']);
    expect(visibleOrganizations(admin)).toBeNull();
  });
});

describe('member-scoped principals', () => {
  const scoped: PartnerPrincipal = { ...partner, partnerType: 'wellness_app', memberId: 'mbr_A' };

  it('sees its own member only; an unscoped principal is not narrowed', () => {
    expect(partnerMaySeeMember(scoped, 'mbr_A')).toBe(true);
    expect(partnerMaySeeMember(scoped, 'mbr_B')).toBe(false);
    expect(partnerMaySeeMember(partner, 'mbr_B')).toBe(true);
  });

  it.each([
    ['GET', '/api/v1/members/:memberId', ['members:read']],
    ['GET', '/api/v1/members', []],
    ['GET', '/api/v1/changes', []],
    ['HEAD', '/api/v1/members/:memberId', []],
    ['PUT', '/api/v1/members/:memberId/preferences', []],
    ['DELETE', '/api/v1/members/:memberId', []],
    ['POST', '/api/v1/webhook-subscriptions', []],
    ['GET', undefined, []],
  ])('holds its scopes on %s %s: %j', (method, route, expected) => {
    expect(memberTokenRouteScopes(['members:read'], { method, route })).toEqual(expected);
  });
});

describe('ObjectAccessService', () => {
  const audit = mock<AuditService>();
  const sut = new ObjectAccessService(audit);
  const actor: Actor = { principal: partner, request };
  beforeEach(() => audit.recordStandalone.mockReset());

  it('lets a partner through to a member of a linked organization, unaudited here', async () => {
    await expect(
      sut.assertVisible(actor, 'member', 'mbr_1', { id: 'mbr_1', organizationId: 'org_LINKED' }),
    ).resolves.toBeUndefined();
    expect(audit.recordStandalone).not.toHaveBeenCalled();
  });

  it('answers a member of an unlinked organization exactly like a missing one, and audits why', async () => {
    const forbidden = sut.assertVisible(actor, 'member', 'mbr_2', {
      id: 'mbr_2',
      organizationId: 'org_OTHER',
    });
    const missing = sut.assertVisible(actor, 'member', 'mbr_3', null);
    const [a, b] = await Promise.allSettled([forbidden, missing]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    const [e1, e2] = [(a as PromiseRejectedResult).reason, (b as PromiseRejectedResult).reason];
    expect(e1).toBeInstanceOf(ResourceNotFound);
    expect(e2).toBeInstanceOf(ResourceNotFound);
    expect(e1.message).toBe(e2.message);
    expect(audit.recordStandalone).toHaveBeenCalledWith(
      expect.objectContaining({
        outcome: 'denied',
        reason: 'organization_not_linked',
        resourceIds: ['mbr_2'],
      }),
    );
    expect(audit.recordStandalone).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'not_found', resourceIds: ['mbr_3'] }),
    );
  });

  it('decides a denial without auditing, so a caller holding a transaction can audit after it ends', () => {
    expect(sut.denial(actor, { id: 'mbr_5', organizationId: 'org_LINKED' })).toBeNull();
    expect(sut.denial(actor, { id: 'mbr_6', organizationId: 'org_OTHER' })).toBe('organization_not_linked');
    expect(sut.denial(actor, null)).toBe('not_found');
    expect(sut.denial({ principal: undefined, request }, { id: 'mbr_7', organizationId: 'org_LINKED' })).toBe(
      'organization_not_linked',
    );
    expect(audit.recordStandalone).not.toHaveBeenCalled();
  });

  it("answers another member than a member-scoped token's own like a missing one, and audits why", async () => {
    const scoped: Actor = { principal: { ...partner, memberId: 'mbr_OWN' }, request };
    expect(sut.denial(scoped, { id: 'mbr_OWN', organizationId: 'org_LINKED' })).toBeNull();
    expect(sut.denial(scoped, { id: 'mbr_OWN', organizationId: 'org_OTHER' })).toBe(
      'organization_not_linked',
    );
    await expect(
      sut.assertVisible(scoped, 'member', 'mbr_SIBLING', { id: 'mbr_SIBLING', organizationId: 'org_LINKED' }),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    expect(audit.recordStandalone).toHaveBeenCalledWith(
      expect.objectContaining({
        outcome: 'denied',
        reason: 'outside_member_scope',
        resourceIds: ['mbr_SIBLING'],
      }),
    );
  });

  it('vets a member for a token request through the registered lookup: unknown and unlinked both denied', async () => {
    const lookup = new ObjectAccessService(audit);
    await expect(lookup.memberDenial(['org_LINKED'], 'mbr_1')).rejects.toThrow('no member lookup');
    const organizations: Record<string, string> = { mbr_1: 'org_LINKED', mbr_2: 'org_OTHER' };
    lookup.useMemberLookup((id) => Promise.resolve(organizations[id] ?? null));
    await expect(lookup.memberDenial(['org_LINKED'], 'mbr_1')).resolves.toBeNull();
    await expect(lookup.memberDenial(['org_LINKED'], 'mbr_2')).resolves.toBe('organization_not_linked');
    await expect(lookup.memberDenial(['org_LINKED'], 'mbr_3')).resolves.toBe('not_found');
    expect(() => lookup.useMemberLookup(() => Promise.resolve(null))).toThrow('already registered');
  });

  it('lets an admin principal read any organization', async () => {
    await expect(
      sut.assertVisible({ principal: admin, request }, 'member', 'mbr_4', {
        id: 'mbr_4',
        organizationId: 'org_OTHER',
      }),
    ).resolves.toBeUndefined();
  });
});
