import { randomBytes } from 'node:crypto';
import { mock } from 'jest-mock-extended';
import { Webhook } from 'standardwebhooks';
import type { AlertsService, AuditService } from '@app/audit';
import {
  type AdminPrincipal,
  type AuthenticatedRequest,
  ManualClock,
  type PartnerPrincipal,
} from '@app/common';
import { webhookHeaders } from '@app/crypto';
import { ActiveSecretsCache } from './active-secrets-cache';
import { RELOAD_AFTER_MISS_MS, SignedRequestVerifier } from './signed-request.verifier';
import type { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookSignatureInvalid, type SignedRequestRefusal } from './webhook.errors';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const partner: PartnerPrincipal = {
  kind: 'api_key',
  id: 'key_01',
  partnerId: 'prt_01',
  partnerType: 'membership_system',
  vendorId: 'vnd_01',
  organizationIds: [],
  categories: [],
  purpose: 'operations',
  requiresConsent: false,
  scopes: new Set(['sync:write']),
};
const admin: AdminPrincipal = {
  kind: 'admin',
  id: 'adm_01',
  role: 'security_admin',
  scopes: new Set(),
  mfa: true,
  source: 'local',
};
// Spacing a re-serialization would lose: the signature covers these exact bytes.
const rawBody = Buffer.from('{ "eventId" : "evt-1",\n  "organizationId": "org_01" }');

describe('SignedRequestVerifier', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 10));
  const active = secret();
  let stored: string[];
  let secrets: ReturnType<typeof mock<WebhookSecretsService>>;
  let audit: ReturnType<typeof mock<AuditService>>;
  let sut: SignedRequestVerifier;

  const request = (
    headers: Record<string, string>,
    options: { body?: Buffer; principal?: AuthenticatedRequest['principal'] } = {},
  ) =>
    ({
      headers,
      rawBody: options.body ?? rawBody,
      principal: 'principal' in options ? options.principal : partner,
      ip: '127.0.0.1',
      method: 'POST',
      id: '00000000-0000-4000-8000-000000000000',
      routeOptions: { url: '/api/v1/members' },
    }) as unknown as AuthenticatedRequest;
  const signed = (key = active, at = clock.nowSeconds(), body: Buffer = rawBody, id = 'msg_1') =>
    webhookHeaders(key, id, at, body) as unknown as Record<string, string>;
  const refusalOf = async (req: AuthenticatedRequest): Promise<SignedRequestRefusal | 'accepted'> => {
    try {
      await sut.verify(req);
      return 'accepted';
    } catch (error) {
      if (error instanceof WebhookSignatureInvalid) return error.reason;
      throw error;
    }
  };

  beforeEach(() => {
    stored = [active];
    secrets = mock<WebhookSecretsService>();
    secrets.activeSecrets.mockImplementation(() => Promise.resolve([...stored]));
    audit = mock<AuditService>();
    audit.recordStandalone.mockResolvedValue(undefined);
    sut = new SignedRequestVerifier(
      secrets,
      new ActiveSecretsCache(clock),
      clock,
      audit,
      mock<AlertsService>(),
    );
  });

  it('accepts a request signed by an active secret over the raw bytes and leaves its webhook-id', async () => {
    const req = request(signed());
    await sut.verify(req);
    expect(req.verifiedWebhookId).toBe('msg_1');
  });

  it('accepts a request the standardwebhooks reference library signed', async () => {
    const at = clock.now();
    const req = request({
      'webhook-id': 'msg_ref',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(active).sign('msg_ref', at, rawBody.toString('utf8')),
    });
    await sut.verify(req);
    expect(req.verifiedWebhookId).toBe('msg_ref');
  });

  const tampered = Buffer.from(rawBody);
  tampered[3] ^= 0x01;
  it.each<[string, () => AuthenticatedRequest, SignedRequestRefusal]>([
    ['no signature headers', () => request({}), 'missing_headers'],
    ['no webhook-signature', () => request({ ...signed(), 'webhook-signature': '' }), 'missing_headers'],
    ['a signature by another secret', () => request(signed(secret())), 'no_matching_signature'],
    ['a body changed by one bit', () => request(signed(), { body: tampered }), 'no_matching_signature'],
    [
      'a re-serialized body',
      () =>
        request(signed(), {
          body: Buffer.from(JSON.stringify(JSON.parse(rawBody.toString('utf8')) as unknown)),
        }),
      'no_matching_signature',
    ],
    [
      'a timestamp 6 minutes old',
      () => request(signed(active, clock.nowSeconds() - 360)),
      'timestamp_too_old',
    ],
    [
      'a timestamp 6 minutes ahead',
      () => request(signed(active, clock.nowSeconds() + 360)),
      'timestamp_too_new',
    ],
    [
      'a timestamp that is not a number',
      () => request({ ...signed(), 'webhook-timestamp': '1e9' }),
      'invalid_timestamp',
    ],
    [
      'a webhook-id with a space',
      () => request(signed(active, clock.nowSeconds(), rawBody, 'msg 1')),
      'invalid_webhook_id',
    ],
    [
      'a webhook-id over 255 characters',
      () => request(signed(active, clock.nowSeconds(), rawBody, 'm'.repeat(256))),
      'invalid_webhook_id',
    ],
    ['an admin caller', () => request(signed(), { principal: admin }), 'not_a_partner'],
    ['no caller', () => request(signed(), { principal: undefined }), 'not_a_partner'],
  ])('refuses %s, audits the reason and sets no webhook-id', async (_name, make, reason) => {
    const req = make();
    expect(await refusalOf(req)).toBe(reason);
    expect(req.verifiedWebhookId).toBeUndefined();
    expect(audit.recordStandalone).toHaveBeenCalledWith(
      expect.objectContaining({ action: 'webhook.verify', outcome: 'failure', statusCode: 401, reason }),
    );
  });

  it('refuses every request of a partner without an active secret', async () => {
    stored = [];
    expect(await refusalOf(request(signed()))).toBe('no_active_secret');
  });

  it('accepts a timestamp exactly 5 minutes old', async () => {
    expect(await refusalOf(request(signed(active, clock.nowSeconds() - 300)))).toBe('accepted');
  });

  it('verifies at once with a secret created in another process, reading again after a miss', async () => {
    await sut.verify(request(signed()));
    const created = secret();
    stored = [created, active];
    clock.advance(RELOAD_AFTER_MISS_MS);
    expect(await refusalOf(request(signed(created)))).toBe('accepted');
    expect(secrets.activeSecrets).toHaveBeenCalledTimes(2);
  });

  it('reads again after a miss at most once a second, so bad signatures cannot flood the database', async () => {
    await sut.verify(request(signed()));
    for (let i = 0; i < 5; i += 1)
      expect(await refusalOf(request(signed(secret())))).toBe('no_matching_signature');
    expect(secrets.activeSecrets).toHaveBeenCalledTimes(1);
  });
});
