import type { LookupAddress } from 'node:dns';
import type { EntityManager } from '@mikro-orm/postgresql';
import { mock } from 'jest-mock-extended';
import type { AuditService } from '@app/audit';
import { ManualClock, type Actor, type PartnerPrincipal } from '@app/common';
import type { KeyProvider, SignedCursors } from '@app/crypto';
import type { SubscriptionHostResolver } from './host-resolver';
import type { SubscriptionHealthService } from './subscription-health.service';
import { WebhookUrlRefused } from './subscription.errors';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';

const partner: PartnerPrincipal = {
  kind: 'partner_client',
  id: 'cli_01JD3Q4Z5X6C7V8B9N0M1K2J3H',
  partnerId: 'prt_01JD3Q4Z5X6C7V8B9N0M1K2J3H',
  partnerType: 'benefits_admin',
  vendorId: 'vnd_01JD3Q4Z5X6C7V8B9N0M1K2J3H',
  organizationIds: [],
  categories: [],
  purpose: 'operations',
  requiresConsent: false,
  scopes: new Set(['subscriptions:manage']),
};
const actor: Actor = {
  principal: partner,
  request: { ip: '127.0.0.1', method: 'POST', route: '/api/v1/webhook-subscriptions', requestId: 'req-1' },
};

describe('WebhookSubscriptionsService.create (registration-time resolution)', () => {
  function setup(addresses: string[]) {
    const em = mock<EntityManager>();
    const forked = mock<EntityManager>();
    em.fork.mockReturnValue(forked);
    forked.transactional.mockResolvedValue(undefined);
    const keyProvider = mock<KeyProvider>();
    keyProvider.wrap.mockResolvedValue({ kek: 'k1', iv: 'iv', ct: 'ct', tag: 'tag' });
    const resolver = mock<SubscriptionHostResolver>();
    resolver.resolve.mockResolvedValue(
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
    const audit = mock<AuditService>();
    const sut = new WebhookSubscriptionsService(
      em,
      keyProvider,
      audit,
      new ManualClock(Date.parse('2026-11-30T12:00:00Z')),
      mock<SignedCursors>(),
      resolver,
      mock<SubscriptionHealthService>(),
    );
    return { sut, forked, keyProvider, resolver, audit };
  }

  it.each([
    [['127.0.0.1'], 'non_public_address'],
    [['10.1.2.3'], 'non_public_address'],
    [['169.254.169.254'], 'non_public_address'],
    [['93.184.216.34', '192.168.0.10'], 'non_public_address'],
    [[], 'unresolvable'],
  ])(
    'refuses a name resolving to %j as %s, writing nothing but the audit event',
    async (addresses, reason) => {
      const { sut, forked, keyProvider, resolver, audit } = setup(addresses);
      const attempt = sut.create(actor, {
        url: 'https://hooks.partner.example/x',
        events: ['member.updated'],
      });
      await expect(attempt).rejects.toBeInstanceOf(WebhookUrlRefused);
      await expect(attempt).rejects.toMatchObject({ reason });
      expect(resolver.resolve).toHaveBeenCalledWith('hooks.partner.example');
      expect(keyProvider.wrap).not.toHaveBeenCalled();
      expect(forked.transactional).not.toHaveBeenCalled();
      expect(audit.record).toHaveBeenCalledWith(
        forked,
        expect.objectContaining({ outcome: 'denied', reason: `url_${reason}`, partnerId: partner.partnerId }),
      );
    },
  );

  it('does not resolve at all when the URL already breaks a rule', async () => {
    const { sut, resolver } = setup(['93.184.216.34']);
    await expect(
      sut.create(actor, { url: 'http://hooks.partner.example/x', events: ['member.updated'] }),
    ).rejects.toMatchObject({ reason: 'not_https' });
    expect(resolver.resolve).not.toHaveBeenCalled();
  });

  it('registers a name whose every address is public, wrapping its secret bound to partner and subscription', async () => {
    const { sut, forked, keyProvider } = setup(['93.184.216.34', '2606:4700:4700::1111']);
    const created = await sut.create(actor, {
      url: 'https://hooks.partner.example/x',
      events: ['member.deleted', 'member.created'],
    });
    expect(created.id).toMatch(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(keyProvider.wrap).toHaveBeenCalledWith(
      expect.any(Buffer),
      expect.stringMatching(
        new RegExp(`^webhook-subscription-secret:${partner.partnerId}:${created.id}:sbs_`),
      ),
    );
    expect(forked.transactional).toHaveBeenCalledTimes(1);
  });
});
