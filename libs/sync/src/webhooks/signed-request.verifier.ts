import type { RawBodyRequest } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import { type AuthenticatedRequest, Clock, InboundWebhookVerifier, requestMeta } from '@app/common';
import { verifyWebhook } from '@app/crypto';
import { ActiveSecretsCache, type ActiveSecrets } from './active-secrets-cache';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookSignatureInvalid, type SignedRequestRefusal } from './webhook.errors';

/**
 * A signature that matches none of the cached secrets reads them again once they are this old, so a
 * secret created in another process verifies at once, while bad signatures cost at most one read
 * per partner per second.
 */
export const RELOAD_AFTER_MISS_MS = 1_000;
/** The webhook-id becomes the idempotency key: bounded like Idempotency-Key, visible ASCII only. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,255}$/;
const EMPTY_BODY = Buffer.alloc(0);

/**
 * Verifies signed requests (routes marked @SignedWebhook) after authentication: the caller's
 * partner's active secrets, the exact body bytes received, the timestamp within 5 minutes of the
 * injected clock. A refusal is audited with its reason and answers 401; success leaves the
 * webhook-id on the request for the idempotency interceptor.
 */
@Injectable()
export class SignedRequestVerifier extends InboundWebhookVerifier {
  constructor(
    private readonly secrets: WebhookSecretsService,
    private readonly cache: ActiveSecretsCache,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
  ) {
    super();
  }

  async verify(request: AuthenticatedRequest): Promise<void> {
    const principal = request.principal;
    if (!principal || principal.kind === 'admin') return this.refuse(request, 'not_a_partner');
    const id = request.headers['webhook-id'];
    if (typeof id === 'string' && id.length > 0 && !WEBHOOK_ID.test(id))
      return this.refuse(request, 'invalid_webhook_id');

    const partnerId = principal.partnerId;
    const load = () => this.secrets.activeSecrets(partnerId);
    const body = (request as RawBodyRequest<AuthenticatedRequest>).rawBody ?? EMPTY_BODY;
    const check = (active: ActiveSecrets) =>
      verifyWebhook(request.headers, body, active.secrets, { nowSeconds: this.clock.nowSeconds() });

    let active = await this.cache.get(partnerId, load);
    let result = check(active);
    if (
      !result.ok &&
      result.reason === 'no_matching_signature' &&
      this.clock.nowMs() - active.loadedAtMs >= RELOAD_AFTER_MISS_MS
    ) {
      active = await this.cache.reload(partnerId, load);
      result = check(active);
    }
    if (!result.ok) {
      const reason =
        result.reason === 'no_matching_signature' && active.secrets.length === 0
          ? 'no_active_secret'
          : result.reason;
      return this.refuse(request, reason);
    }
    request.verifiedWebhookId = result.id;
  }

  private async refuse(request: AuthenticatedRequest, reason: SignedRequestRefusal): Promise<never> {
    await this.audit.recordStandalone({
      ...auditActor({ principal: request.principal, request: requestMeta(request) }),
      action: 'webhook.verify',
      outcome: 'failure',
      statusCode: 401,
      reason,
    });
    // Repeated bad signatures from one partner: a leaked token without the secret, or a broken sender.
    if (request.principal && request.principal.kind !== 'admin' && reason !== 'not_a_partner') {
      await this.alerts.countAuthFailure([`webhook:${request.principal.partnerId}`]);
    }
    throw new WebhookSignatureInvalid(reason);
  }
}
