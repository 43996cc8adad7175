import { execFileSync } from 'node:child_process';
import { faker } from '@faker-js/faker';
import { ManualClock, problemTypeUri, type PartnerScope, type PartnerType } from '@app/common';
import { KeyProvider, WrappedSecretOwners, webhookKey } from '@app/crypto';
import { WebhookSubscriptionsService } from '@app/sync';
import {
  adminPost,
  createClient,
  loginAdmin,
  setupPartner,
  sql,
  type AdminSession,
} from './support/identity-fixtures';
import { clientToken } from './support/member-fixtures';
import { startTestApi, type TestApi } from './support/test-app';

faker.seed(7140);

const PATH = '/api/v1/webhook-subscriptions';
const SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]{43}=$/;
/** A public address literal: registering it resolves nothing and connects nowhere (no delivery runs here). */
const PUBLIC_URL = 'https://93.184.216.34/hooks/member-sync';

describe('partner webhook subscriptions', () => {
  const clock = new ManualClock(Date.now());
  let api: TestApi;
  let officer: AdminSession;
  let security: AdminSession;
  let partnerA: { partnerId: string; token: string };
  let partnerB: { partnerId: string; token: string };

  async function partner(type: PartnerType, scopes: PartnerScope[] = ['subscriptions:manage']) {
    const { partnerId } = await setupPartner(api, officer.accessToken, { type });
    const client = await createClient(api, security.accessToken, partnerId, {
      authMethod: 'client_secret_basic',
      scopes,
    });
    return { partnerId, token: await clientToken(api, client) };
  }

  const create = (token: string, body: object) =>
    api.http().post(PATH).set('authorization', `Bearer ${token}`).send(body);
  const list = (token: string, query = '') =>
    api.http().get(`${PATH}${query}`).set('authorization', `Bearer ${token}`);
  const remove = (token: string, id: string) =>
    api.http().delete(`${PATH}/${id}`).set('authorization', `Bearer ${token}`);
  const rotate = (token: string, id: string) =>
    api.http().post(`${PATH}/${id}/rotate-secret`).set('authorization', `Bearer ${token}`).send({});

  const rowsOf = (partnerId: string) =>
    sql<{ id: string; status: string; disabled_reason: string | null }>(
      api,
      'select id, status, disabled_reason from webhook_subscription where partner_id = $1',
      [partnerId],
    );

  beforeAll(async () => {
    api = await startTestApi({
      clock,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000', AUTH_FAILURE_ALERT_THRESHOLD: '1000' },
    });
    officer = await loginAdmin(api, clock, 'compliance_officer');
    security = await loginAdmin(api, clock, 'security_admin');
    partnerA = await partner('benefits_admin');
    partnerB = await partner('wellness_app');
  });
  afterAll(() => api.close());

  it('creates a subscription, shows its secret once, and lists it without the secret', async () => {
    const created = await create(partnerA.token, {
      url: PUBLIC_URL,
      events: ['member.updated', 'member.created'],
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['id', 'secret']);
    expect(created.body.id).toMatch(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(created.body.secret).toMatch(SECRET_FORMAT);

    const listed = await list(partnerA.token);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toContainEqual({
      id: created.body.id,
      url: PUBLIC_URL,
      events: ['member.created', 'member.updated'],
      status: 'active',
      createdAt: expect.any(String),
      disabledAt: null,
      disabledReason: null,
      // Nothing delivered yet: idle, not failing (docs/api-guide.md, subscription health).
      health: {
        lastSuccessAt: null,
        lastFailureAt: null,
        lagSeconds: 0,
        pendingDeliveries: 0,
        deadLetters: 0,
        consecutiveFailures: 0,
        failingSince: null,
      },
    });
    expect(listed.text).not.toContain(created.body.secret.slice('whsec_'.length, 30));

    const [event] = await sql<{ actor_type: string; partner_id: string; outcome: string }>(
      api,
      `select actor_type, partner_id, outcome from audit_event
        where action = 'webhook_subscription.create' and $1 = any(resource_ids)`,
      [created.body.id],
    );
    expect(event).toEqual({
      actor_type: 'partner_client',
      partner_id: partnerA.partnerId,
      outcome: 'success',
    });

    // Deliveries find it by event type, and only by the types it asked for.
    const subscribers = api.app.get(WebhookSubscriptionsService);
    expect(await subscribers.subscribersOf('member.created')).toContainEqual({
      id: created.body.id,
      partnerId: partnerA.partnerId,
      url: PUBLIC_URL,
    });
    expect(await subscribers.subscribersOf('consent.revoked')).not.toContainEqual(
      expect.objectContaining({ id: created.body.id }),
    );
  });

  it('stores the secret only wrapped by the KEK: a pg_dump holds the subscription id but neither the secret nor its key bytes', async () => {
    const created = await create(partnerA.token, { url: PUBLIC_URL, events: ['member.deleted'] });
    expect(created.status).toBe(201);
    const key = webhookKey(created.body.secret);
    const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', api.database.url], {
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(dump.toString()).toContain(created.body.id);
    for (const canary of [
      created.body.secret,
      key.toString('base64'),
      key.toString('hex'),
      key.toString('base64url'),
    ])
      expect(dump.toString()).not.toContain(canary);
    expect(dump.includes(key)).toBe(false);
  });

  it('deletes a subscription softly: kept as disabled, audited, gone from the list, and a second delete is 404', async () => {
    const { id } = (await create(partnerA.token, { url: PUBLIC_URL, events: ['consent.revoked'] })).body;
    const deleted = await remove(partnerA.token, id);
    expect(deleted.status).toBe(204);

    const [row] = await sql<{ status: string; disabled_reason: string; disabled_at: Date | null }>(
      api,
      'select status, disabled_reason, disabled_at from webhook_subscription where id = $1',
      [id],
    );
    expect(row).toEqual({ status: 'disabled', disabled_reason: 'deleted', disabled_at: expect.any(Date) });
    const events = await sql(
      api,
      `select 1 from audit_event where action = 'webhook_subscription.delete' and $1 = any(resource_ids)`,
      [id],
    );
    expect(events).toHaveLength(1);
    expect((await list(partnerA.token)).body.data.map((s: { id: string }) => s.id)).not.toContain(id);
    expect((await remove(partnerA.token, id)).status).toBe(404);
    expect(
      await api.app.get(WebhookSubscriptionsService).subscribersOf('consent.revoked'),
    ).not.toContainEqual(expect.objectContaining({ id }));
  });

  describe('refuses URLs that are not https to a public address, storing nothing', () => {
    let refusedPartner: { partnerId: string; token: string };
    beforeAll(async () => {
      refusedPartner = await partner('carrier');
    });

    it.each([
      ['plain http', 'http://93.184.216.34/hooks', 'not_https'],
      ['IPv4 loopback', 'https://127.0.0.1/hooks', 'non_public_address'],
      ['IPv6 loopback', 'https://[::1]/hooks', 'non_public_address'],
      ['cloud metadata', 'https://169.254.169.254/latest/meta-data', 'non_public_address'],
      ['private 10/8', 'https://10.0.0.1/hooks', 'non_public_address'],
      ['private 192.168/16', 'https://192.168.1.1/hooks', 'non_public_address'],
      ['carrier-grade NAT', 'https://100.64.0.1/hooks', 'non_public_address'],
      ['IPv6 unique-local', 'https://[fd00::1]/hooks', 'non_public_address'],
      ['the unspecified address', 'https://0.0.0.0/hooks', 'non_public_address'],
      ['loopback in hex', 'https://0x7f.1/hooks', 'non_public_address'],
      ['a name resolving to loopback', 'https://localhost/hooks', 'non_public_address'],
      ['user info', 'https://user:secret@93.184.216.34/hooks', 'credentials_in_url'],
    ])('refuses %s with 422 webhook-url-refused', async (_what, url, reason) => {
      const res = await create(refusedPartner.token, { url, events: ['member.updated'] });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: problemTypeUri('webhook-url-refused'), status: 422, reason });
      expect(res.text).not.toContain(new URL(url).host);
      expect(await rowsOf(refusedPartner.partnerId)).toEqual([]);
    });

    it('audits a refusal with its rule and without the URL', async () => {
      await create(refusedPartner.token, { url: 'https://169.254.169.254/iam', events: ['member.updated'] });
      const events = await sql<{ outcome: string; reason: string }>(
        api,
        `select outcome, reason from audit_event
          where action = 'webhook_subscription.create' and partner_id = $1`,
        [refusedPartner.partnerId],
      );
      expect(events).toContainEqual({ outcome: 'denied', reason: 'url_non_public_address' });
      expect(JSON.stringify(events)).not.toContain('169.254');
    });

    it.each([
      ['an unknown event type', { url: PUBLIC_URL, events: ['member.read'] }],
      ['no event type', { url: PUBLIC_URL, events: [] }],
      ['a repeated event type', { url: PUBLIC_URL, events: ['member.updated', 'member.updated'] }],
      [
        'a URL over 2048 characters',
        { url: `${PUBLIC_URL}/${'a'.repeat(2048)}`, events: ['member.updated'] },
      ],
      ['a URL that is not a string', { url: 42, events: ['member.updated'] }],
    ])('refuses %s with 400 validation-failed', async (_what, body) => {
      const res = await create(refusedPartner.token, body);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe(problemTypeUri('validation-failed'));
      expect(await rowsOf(refusedPartner.partnerId)).toEqual([]);
    });
  });

  it('lets a partner see and delete only its own subscriptions (another partner gets 404)', async () => {
    const { id } = (await create(partnerA.token, { url: PUBLIC_URL, events: ['member.updated'] })).body;

    const seenByB = await list(partnerB.token);
    expect(seenByB.status).toBe(200);
    expect(seenByB.body.data.map((s: { id: string }) => s.id)).not.toContain(id);
    expect((await remove(partnerB.token, id)).status).toBe(404);
    expect((await rotate(partnerB.token, id)).status).toBe(404);

    const [row] = await sql<{ status: string }>(
      api,
      'select status from webhook_subscription where id = $1',
      [id],
    );
    expect(row.status).toBe('active');
  });

  it('refuses a partner token without subscriptions:manage (403) and an admin token (403)', async () => {
    const reader = await partner('benefits_admin', ['members:read']);
    expect((await create(reader.token, { url: PUBLIC_URL, events: ['member.updated'] })).status).toBe(403);
    expect((await list(reader.token)).status).toBe(403);
    expect(
      (await adminPost(api, security.accessToken, PATH, { url: PUBLIC_URL, events: ['member.updated'] }))
        .status,
    ).toBe(403);
    expect(await rowsOf(reader.partnerId)).toEqual([]);
  });

  it('pages the list with a cursor that another partner cannot use', async () => {
    const pager = await partner('wellness_app');
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push((await create(pager.token, { url: PUBLIC_URL, events: ['member.updated'] })).body.id);
    const first = await list(pager.token, '?limit=2');
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(pager.token, `?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.data, ...second.body.data].map((s: { id: string }) => s.id).sort()).toEqual(
      [...ids].sort(),
    );
    const stolen = await list(partnerB.token, `?cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(stolen.status).toBe(400);
  });

  it('holds at most 20 active subscriptions per partner (409) even under concurrent creates, and a delete makes room', async () => {
    const busy = await partner('benefits_admin');
    const ids: string[] = [];
    for (let i = 0; i < 18; i += 1) {
      const res = await create(busy.token, { url: PUBLIC_URL, events: ['member.updated'] });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => create(busy.token, { url: PUBLIC_URL, events: ['member.updated'] })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409]);
    expect((await rowsOf(busy.partnerId)).filter((r) => r.status === 'active')).toHaveLength(20);
    expect((await remove(busy.token, ids[0])).status).toBe(204);
    expect((await create(busy.token, { url: PUBLIC_URL, events: ['member.updated'] })).status).toBe(201);
  });

  it('keeps subscriptions and their secrets for the record: the service role may not delete them', async () => {
    const { id } = (await create(partnerA.token, { url: PUBLIC_URL, events: ['member.updated'] })).body;
    for (const table of ['webhook_subscription_secret', 'webhook_subscription']) {
      const column = table === 'webhook_subscription' ? 'id' : 'subscription_id';
      await expect(
        sql(api, `set role msync_app; delete from ${table} where ${column} = '${id}'`),
      ).rejects.toThrow(/permission denied/);
    }
    expect(await sql(api, 'select 1 from webhook_subscription where id = $1', [id])).toHaveLength(1);
  });

  it('rotates a secret: the new one is shown once and both sign until the overlap ends', async () => {
    const created = (await create(partnerA.token, { url: PUBLIC_URL, events: ['member.updated'] })).body;
    const rotated = await rotate(partnerA.token, created.id);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({
      id: created.id,
      secret: expect.stringMatching(SECRET_FORMAT),
      previousSecretExpiresAt: new Date(clock.nowMs() + 24 * 3600 * 1000).toISOString(),
    });
    expect(rotated.body.secret).not.toBe(created.secret);

    const service = api.app.get(WebhookSubscriptionsService);
    expect(await service.signingSecrets(partnerA.partnerId, created.id)).toEqual([
      rotated.body.secret,
      created.secret,
    ]);
    clock.advance(24 * 3600 * 1000 + 1000);
    try {
      expect(await service.signingSecrets(partnerA.partnerId, created.id)).toEqual([rotated.body.secret]);
    } finally {
      clock.advance(-(24 * 3600 * 1000 + 1000));
    }

    // Rotating again inside the overlap ends the oldest secret at once: never more than two sign.
    const again = await rotate(partnerA.token, created.id);
    expect(again.status).toBe(200);
    expect(await service.signingSecrets(partnerA.partnerId, created.id)).toEqual([
      again.body.secret,
      rotated.body.secret,
    ]);
  });

  it('does not rotate the secret of a deleted subscription (404)', async () => {
    const { id } = (await create(partnerA.token, { url: PUBLIC_URL, events: ['member.updated'] })).body;
    expect((await remove(partnerA.token, id)).status).toBe(204);
    expect((await rotate(partnerA.token, id)).status).toBe(404);
  });

  it('documents every subscription route in the OpenAPI document with the subscriptions:manage scope', async () => {
    const doc = (await api.http().get('/api/openapi.json')).body;
    const operations = [
      doc.paths[PATH]?.post,
      doc.paths[PATH]?.get,
      doc.paths[`${PATH}/{subscriptionId}`]?.delete,
      doc.paths[`${PATH}/{subscriptionId}/rotate-secret`]?.post,
    ];
    for (const op of operations) {
      expect(op).toBeDefined();
      expect(op['x-required-scopes']).toEqual(['subscriptions:manage']);
      expect(op.security).toEqual([{ partnerToken: ['subscriptions:manage'] }]);
    }
  });

  it('re-wraps subscription secrets in a KEK rotation, and the same secret still signs afterwards', async () => {
    const created = (await create(partnerA.token, { url: PUBLIC_URL, events: ['member.created'] })).body;
    const kekOf = async () =>
      (
        await sql<{ kek: string }>(
          api,
          `select secret_wrapped->>'kek' as kek from webhook_subscription_secret where subscription_id = $1`,
          [created.id],
        )
      )[0].kek;
    const before = await kekOf();
    const owner = api.app
      .get(WrappedSecretOwners)
      .all()
      .find((o) => o.name === 'webhook_subscription_secret');
    expect(owner).toBeDefined();

    await api.app.get(KeyProvider).rotate();
    let after: string | null = null;
    do after = (await owner!.rewrapBatch(after, 200, { reencrypt: false })).last;
    while (after);

    expect(await kekOf()).not.toBe(before);
    expect(
      await api.app.get(WebhookSubscriptionsService).signingSecrets(partnerA.partnerId, created.id),
    ).toEqual([created.secret]);
  });
});
