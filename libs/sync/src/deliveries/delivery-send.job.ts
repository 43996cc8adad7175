import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AlertsService, AuditService } from '@app/audit';
import {
  AppConfig,
  Clock,
  INTEGRATION_TYPE_SCOPES,
  ResourceNotFound,
  JobHandler,
  type Actor,
  type DataCategory,
  type JobPayloads,
  type PartnerPrincipal,
} from '@app/common';
import { PartnersService } from '@app/identity';
import { groupName, MemberReader } from '@app/members';
import { VendorsService } from '@app/vendors';
import { signedDeliveryHeaders } from '../subscriptions/delivery-signature';
import {
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  SafeWebhookClient,
  type WebhookPostResult,
} from '../subscriptions/safe-webhook.client';
import { SubscriptionHealthStore } from '../subscriptions/subscription-health.store';
import { WebhookSubscriptionsService } from '../subscriptions/webhook-subscriptions.service';
import { DeliveryDeadLettered } from './delivery.errors';
import {
  changedGroupsOnly,
  deliveryEventType,
  deliveryWebhookId,
  serializeDeliveryBody,
} from './delivery-message';
import { DeliveryQueue } from './delivery-queue';
import { retryDelayMs } from './delivery-retry-schedule';
import { FailingEndpoints } from './failing-endpoints';

export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'skipped'; reason: SkipReason }
  | { outcome: 'gone' }
  | { outcome: 'disabled_failing'; failingForMs: number }
  | { outcome: 'retry_scheduled'; attempt: number; delayMs: number };

export type SkipReason =
  | 'subscription_inactive'
  | 'partner_inactive'
  | 'baa_not_in_effect'
  | 'no_permitted_categories'
  | 'not_visible';

const DELIVERY_ROUTE = 'job:deliveries.send';

/**
 * One attempt to deliver one member change to one subscription. Everything that decides what may
 * leave is checked NOW, not when the change was queued: the subscription and partner are active,
 * the BAA is in effect, and the member is read projected for the partner (scope ∩ registration ∩
 * BAA ∩ consent). The body is serialized once and signed over those bytes with every active
 * secret; the webhook-id is the same on every attempt. A refusal is skipped and audited (`denied`).
 */
@Injectable()
export class DeliverySendJob {
  private readonly logger = new Logger('Deliveries');

  constructor(
    private readonly subscriptions: WebhookSubscriptionsService,
    private readonly partners: PartnersService,
    private readonly vendors: VendorsService,
    private readonly reader: MemberReader,
    private readonly client: SafeWebhookClient,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly queue: DeliveryQueue,
    private readonly failing: FailingEndpoints,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly health: SubscriptionHealthStore,
  ) {}

  @JobHandler('deliveries.send')
  async run(payload: JobPayloads['deliveries.send']): Promise<DeliveryOutcome> {
    const ids = {
      outboxId: payload.outboxId,
      subscriptionId: payload.subscriptionId,
      attempt: payload.attempt,
    };
    const target = await this.subscriptions.deliveryTarget(payload.subscriptionId);
    if (!target || !target.active || target.partnerId !== payload.partnerId)
      return this.skip(payload, 'subscription_inactive', null);

    const partner = await this.partners.get(payload.partnerId).catch((error: unknown) => {
      if (error instanceof ResourceNotFound) return null;
      throw error;
    });
    if (!partner || partner.status !== 'active') return this.skip(payload, 'partner_inactive', null);
    const baa = await this.vendors.baaToday(partner.vendorId);
    if (!baa.inEffect) return this.skip(payload, 'baa_not_in_effect', partner.purpose);
    const permitted = partner.categories.filter((c) => baa.categories.includes(c));
    if (permitted.length === 0) return this.skip(payload, 'no_permitted_categories', partner.purpose);
    if (!partner.organizationIds.includes(payload.organizationId))
      return this.skip(payload, 'not_visible', partner.purpose);

    const principal: PartnerPrincipal = {
      kind: 'partner_client',
      // The subscription stands in for a client: audit rows of a delivery name it, never a person.
      id: target.id,
      partnerId: partner.id,
      partnerType: partner.type,
      vendorId: partner.vendorId,
      organizationIds: partner.organizationIds,
      categories: partner.categories,
      purpose: partner.purpose,
      requiresConsent: partner.requiresConsent,
      // The read scopes its integration type may hold: a carrier receives eligibility only, as it reads.
      scopes: new Set(INTEGRATION_TYPE_SCOPES[partner.type]),
    };
    const actor: Actor = {
      principal,
      request: {
        ip: '127.0.0.1',
        method: 'POST',
        route: DELIVERY_ROUTE,
        // A request id is a UUID: each attempt is its own "request".
        requestId: randomUUID(),
      },
    };

    let data: Record<string, unknown> | null = null;
    if (payload.kind !== 'deleted') {
      try {
        data = (await this.reader.get(actor, payload.memberId)).document;
      } catch (error) {
        // A member deleted (or moved out of reach) since the change: delivered as a deletion.
        if (!(error instanceof ResourceNotFound)) throw error;
      }
    }
    // The member's own source (the membership system) gets its sourceRef, which it always knows (a
    // member it created by a dropped webhook and we imported by polling has no id of ours there), and
    // only the groups the change touched, so its newer values of other groups are never overwritten.
    const source = await this.reader.sourceOf(payload.organizationId, payload.memberId);
    const toItsSource = source !== null && source.partnerId === partner.id;
    if (data && toItsSource) data = changedGroupsOnly(data, payload.categories);
    const categories = data ? permittedGroupsOf(data, permitted) : [];
    const body = serializeDeliveryBody({
      type: deliveryEventType(payload.kind, data === null),
      memberId: payload.memberId,
      ...(toItsSource ? { sourceRef: source.sourceRef } : {}),
      version: payload.version,
      occurredAt: payload.occurredAt,
      data,
    });
    const secrets = await this.subscriptions.signingSecrets(target.partnerId, target.id);
    const webhookId = deliveryWebhookId(payload.outboxId, payload.subscriptionId);
    const headers = signedDeliveryHeaders(secrets, webhookId, Math.floor(this.clock.nowMs() / 1000), body);
    const result = await this.client.post(target.url, body, headers, {
      timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS,
    });
    // The endpoint's answer, durably, for the subscription's health (last success, failing run).
    await this.health.recordAttempt(target.id, result, this.clock.now());

    if (result.outcome === 'response' && result.status >= 200 && result.status < 300) {
      await this.audit.recordStandalone({
        actorType: 'system',
        actorId: 'deliveries',
        clientId: target.id,
        partnerId: partner.id,
        action: 'member.deliver',
        resourceType: 'member',
        resourceIds: [payload.memberId],
        purpose: partner.purpose,
        categories,
        outcome: 'success',
        statusCode: result.status,
        route: DELIVERY_ROUTE,
      });
      await this.failing.succeeded(target.id);
      this.logger.log({ ...ids, status: result.status }, 'delivered');
      return { outcome: 'delivered', status: result.status };
    }
    if (result.outcome === 'response' && result.status === 410) {
      await this.subscriptions.disableForDelivery(target.partnerId, target.id, 'gone');
      this.logger.warn({ ...ids, status: 410 }, 'subscription gone: disabled');
      return { outcome: 'gone' };
    }
    return this.retryOrDeadLetter(payload, result);
  }

  private async retryOrDeadLetter(
    payload: JobPayloads['deliveries.send'],
    result: WebhookPostResult,
  ): Promise<DeliveryOutcome> {
    const outcome = outcomeOf(result);
    const retryAfter = result.outcome === 'response' ? result.retryAfterSeconds : null;
    const delayMs = retryDelayMs(
      this.config.deliveries.retryScheduleSeconds,
      payload.attempt,
      retryAfter,
      Math.random(),
    );
    const ids = {
      outboxId: payload.outboxId,
      subscriptionId: payload.subscriptionId,
      attempt: payload.attempt,
    };
    const failingForMs = await this.failing.failed(payload.subscriptionId, this.clock.nowMs());
    if (failingForMs >= this.config.deliveries.disableAfterFailingSeconds * 1000) {
      // Failing for the whole window: stop trying (re-enabling is re-registering), audit it
      // (webhook_subscription.disable, reason failing) and tell compliance officers and operators.
      await this.subscriptions.disableForDelivery(payload.partnerId, payload.subscriptionId, 'failing');
      await this.alerts.raise(
        'webhook_endpoint_disabled',
        'medium',
        `subscription:${payload.subscriptionId}`,
        {
          partnerId: payload.partnerId,
          reason: 'failing',
          failingForSeconds: Math.floor(failingForMs / 1000),
        },
      );
      this.logger.warn({ ...ids, outcome, failingForMs }, 'endpoint failing for the whole window: disabled');
      return { outcome: 'disabled_failing', failingForMs };
    }
    if (delayMs === null) {
      this.logger.warn({ ...ids, outcome }, 'delivery failed its last attempt: dead-lettered');
      throw new DeliveryDeadLettered(outcome);
    }
    await this.queue.sendAttempt({ ...payload, attempt: payload.attempt + 1 }, delayMs);
    this.logger.warn({ ...ids, outcome, delayMs }, 'delivery attempt failed: retry scheduled');
    return { outcome: 'retry_scheduled', attempt: payload.attempt + 1, delayMs };
  }

  private async skip(
    payload: JobPayloads['deliveries.send'],
    reason: SkipReason,
    purpose: string | null,
  ): Promise<DeliveryOutcome> {
    await this.audit.recordStandalone({
      actorType: 'system',
      actorId: 'deliveries',
      clientId: payload.subscriptionId,
      partnerId: payload.partnerId,
      action: 'member.deliver',
      resourceType: 'member',
      resourceIds: [payload.memberId],
      purpose,
      outcome: 'denied',
      reason,
      route: DELIVERY_ROUTE,
    });
    this.logger.log(
      { outboxId: payload.outboxId, subscriptionId: payload.subscriptionId, reason },
      'delivery skipped',
    );
    return { outcome: 'skipped', reason };
  }
}

/** The outcome of a failed attempt in a status or an error code: what logs and dead letters may hold. */
function outcomeOf(result: WebhookPostResult): string {
  if (result.outcome === 'response') return `status_${result.status}`;
  if (result.outcome === 'refused') return `refused_${result.reason}`;
  return result.code ? `${result.reason}_${result.code}` : result.reason;
}

/** The categories a projected document actually carries (a category with no value is not disclosed). */
function permittedGroupsOf(
  document: Record<string, unknown>,
  permitted: readonly DataCategory[],
): DataCategory[] {
  return permitted.filter((c) => document[groupName(c)] !== undefined);
}
