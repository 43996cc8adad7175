import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AuditModule } from '@app/audit';
import { DATA_CATEGORIES, type Actor } from '@app/common';
import { CryptoModule, KeyProvider, UnwrapFailed, WrappedSecretOwners } from '@app/crypto';
import { IdentityModule, OrganizationsService, PartnersService } from '@app/identity';
import { VendorsModule, VendorsService } from '@app/vendors';
import { startTestServices, type TestServices } from '../../../../test/support/test-services';
import { MAX_ACTIVE_WEBHOOK_SECRETS, WebhookSecretsService } from './webhook-secrets.service';
import { WebhookSecretsOwner } from './webhook-secrets.owner';
import { WebhooksModule } from './webhooks.module';
import { TooManyWebhookSecrets } from './webhook.errors';

const actor: Actor = {
  system: 'test:webhooks',
  request: { ip: '127.0.0.1', method: 'POST', route: 'webhook-secrets.int-spec', requestId: randomUUID() },
};

describe('webhook secrets on a migrated database', () => {
  let services: TestServices;
  let sut: WebhookSecretsService;
  let vendorId: string;
  let organizationId: string;

  const query = async <T>(text: string, values: unknown[] = []): Promise<T[]> => {
    const client = new Client({ connectionString: services.database.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  };

  const newPartner = async () =>
    (
      await services.get(PartnersService).create(
        {
          name: `Source ${randomUUID()}`,
          vendorId,
          type: 'membership_system',
          organizationIds: [organizationId],
          categories: [...DATA_CATEGORIES],
          purpose: 'sync',
          requiresConsent: false,
        } as never,
        actor,
      )
    ).id;

  beforeAll(async () => {
    services = await startTestServices({
      imports: [CryptoModule, AuditModule, VendorsModule, IdentityModule, WebhooksModule],
    });
    sut = services.get(WebhookSecretsService);
    organizationId = (await services.get(OrganizationsService).create('Webhook Org', actor)).id;
    vendorId = (
      await services.get(VendorsService).create(
        {
          name: 'Webhook Vendor',
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
        actor,
      )
    ).id;
  });
  afterAll(() => services.close());

  it('re-wraps webhook secrets in a KEK rotation, and the same secret still opens afterwards', async () => {
    const partnerId = await newPartner();
    const { id, secret } = await sut.create(partnerId, actor);
    const kekOf = async () =>
      (
        await query<{ kek: string }>(
          `select secret_wrapped->>'kek' as kek from webhook_secret where id = $1`,
          [id],
        )
      )[0].kek;
    const before = await kekOf();
    expect(
      services
        .get(WrappedSecretOwners)
        .all()
        .map((o) => o.name),
    ).toContain('webhook_secret');

    await services.module.get(KeyProvider, { strict: false }).rotate();
    let after: string | null = null;
    let done = 0;
    do {
      const batch = await services.get(WebhookSecretsOwner).rewrapBatch(after, 200);
      after = batch.last;
      done += batch.count;
    } while (after);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(await kekOf()).not.toBe(before);
    expect(await sut.activeSecrets(partnerId)).toEqual([secret]);
  });

  it('refuses to open a wrapped secret moved to another partner', async () => {
    const [owner, thief] = [await newPartner(), await newPartner()];
    const { id } = await sut.create(owner, actor);
    await query('update webhook_secret set partner_id = $1 where id = $2', [thief, id]);
    await expect(sut.activeSecrets(thief)).rejects.toBeInstanceOf(UnwrapFailed);
  });

  it(`never lets concurrent creates exceed ${MAX_ACTIVE_WEBHOOK_SECRETS} active secrets of one partner`, async () => {
    const partnerId = await newPartner();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => sut.create(partnerId, actor)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_ACTIVE_WEBHOOK_SECRETS);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TooManyWebhookSecrets);
    const [{ n }] = await query<{ n: number }>(
      `select count(*)::int as n from webhook_secret where partner_id = $1 and status = 'active'`,
      [partnerId],
    );
    expect(n).toBe(MAX_ACTIVE_WEBHOOK_SECRETS);
  });

  it('keeps revoked rows for the record: the service role may not delete them', async () => {
    const partnerId = await newPartner();
    const { id } = await sut.create(partnerId, actor);
    await sut.revoke(partnerId, id, 'SEC-1', actor);
    const client = new Client({ connectionString: services.database.url });
    await client.connect();
    try {
      await client.query('set role msync_app');
      await expect(client.query('delete from webhook_secret where id = $1', [id])).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await client.end();
    }
  });
});
