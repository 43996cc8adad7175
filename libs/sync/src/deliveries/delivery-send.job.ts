import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AlertsService, AuditService } from '@app/audit';
import {
  AppConfig,
  Clock,
  DomainError,
  INTEGRATION_TYPE_SCOPES,
  ResourceNotFound,
  JobHandler,
  type Actor,
  type DataCategory,
  type JobPayloads,
  type PartnerPrincipal,
} from '@app/common';
import { PartnersService } from '@app/identity';
import { groupName, MemberAccessPolicy, MemberReader, readableCategories } from '@app/members';
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
import { consentAllows, deliveryGate, type ParkReason, type SkipReason } from './delivery-gate';
import {
  changedGroupsOnly,
  deliveryEventType,
  deliveryWebhookId,
  revocationNoticeData,
  serializeDeliveryBody,
  type DeliveryBody,
} from './delivery-message';
import { DeliveryOutcomes, failureLabel, outcomeLabel } from './delivery-outcomes';
import { DeliveryQueue } from './delivery-queue';
import { retryDelayMs } from './delivery-retry-schedule';
import { FailingEndpoints } from './failing-endpoints';
import { ParkedDeliveryStore } from './parked-delivery.store';

export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'skipped'; reason: SkipReason }
  | { outcome: 'parked'; reason: ParkReason }
  | { outcome: 'gone' }
  | { outcome: 'disabled_failing'; failingForMs: number }
  | { outcome: 'retry_scheduled'; attempt: number; delayMs: number };

export type { ParkReason, SkipReason } from './delivery-gate';

/** A partner's parked deliveries raise one `deliveries_parked` alert per this long. */
export const PARKED_ALERT_DEDUPE_MS = 60 * 60 * 1000;

const DELIVERY_ROUTE = 'job:deliveries.send';

/**
 * One attempt to deliver one outbox row (a member change, or a consent revocation notice) to one
 * subscription. Everything that decides what may leave is checked NOW, not when the change was
 * queued: the subscription and partner are active, the BAA is in effect, the member's consent is
 * active, and the member is read projected for the partner (scope ∩ registration ∩ BAA ∩ consent).
 * The body is serialized once and signed over those bytes with every active secret; the webhook-id
 * is the same on every attempt. A refusal is audited (`denied`): a reversible one (BAA, suspension)
 * parks the delivery until it is resumed, an irreversible one (and a consent refusal) skips it.
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
    private readonly policy: MemberAccessPolicy,
    private readonly parked: ParkedDeliveryStore,
    private readonly outcomes: DeliveryOutcomes,
  ) {}

  /** One attempt, its outcome counted for /metrics (a counting failure is logged, never thrown). */
  @JobHandler('deliveries.send')
  async run(payload: JobPayloads['deliveries.send']): Promise<DeliveryOutcome> {
    let result: DeliveryOutcome;
    try {
      result = await this.attempt(payload);
    } catch (error) {
      await this.outcomes.count(failureLabel(error));
      throw error;
    }
    await this.outcomes.count(outcomeLabel(result));
    return result;
  }

  private async attempt(payload: JobPayloads['deliveries.send']): Promise<DeliveryOutcome> {
    const ids = {
      outboxId: payload.outboxId,
      subscriptionId: payload.subscriptionId,
      attempt: payload.attempt,
    };
    const target = await this.subscriptions.deliveryTarget(payload.subscriptionId);
    // Read fresh, not from the 30 s cache: a suspension parks the very next attempt.
    this.partners.forget(payload.partnerId);
    const partner = await this.partners.get(payload.partnerId).catch((error: unknown) => {
      if (error instanceof ResourceNotFound) return null;
      throw error;
    });
    let baa = partner ? await this.vendors.baaToday(partner.vendorId) : null;
    let gate = deliveryGate({
      partnerId: payload.partnerId,
      organizationId: payload.organizationId,
      subscription: target,
      partner,
      baa,
    });
    if (gate.verdict === 'park' && gate.reason !== 'partner_suspended' && partner) {
      // The vendor cache may still hold the BAA from before a renewal that a resume is acting on: a
      // refusal is confirmed from the registry itself before the delivery is parked again.
      const fresh = (await this.vendors.get(partner.vendorId)).baa;
      baa = { inEffect: fresh.inEffect, categories: fresh.inEffect ? fresh.permittedCategories : [] };
      gate = deliveryGate({
        partnerId: payload.partnerId,
        organizationId: payload.organizationId,
        subscription: target,
        partner,
        baa,
      });
    }
    if (gate.verdict === 'skip') return this.skip(payload, gate.reason, partner?.purpose ?? null);
    // deliveryGate parks or sends only with both present.
    if (!target || !partner) throw new Error('delivery gate passed without a subscription and partner');
    if (gate.verdict === 'park') return this.park(payload, partner.vendorId, gate.reason, partner.purpose);
    const permitted = gate.permitted;

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

    let body: DeliveryBody;
    let categories: DataCategory[] = [];
    if (payload.topic === 'consent.revoked') {
      // The notice itself: no member value, so no consent to check (the consent is what went).
      body = {
        type: 'consent.revoked',
        memberId: payload.memberId,
        version: null,
        occurredAt: payload.occurredAt,
        data: revocationNoticeData(payload),
      };
    } else {
      // Consent is the member's decision, asked now (a revocation after the change was queued
      // counts): refused, the delivery is skipped, never parked, and never sent as a deletion.
      // Asked over what the member read below may return (scopes ∩ registration ∩ BAA), so a
      // consent the read cannot use is no consent here either (else the read's 404 reads as gone).
      const readable = readableCategories(principal.scopes, partner.categories, baa?.categories ?? []);
      const consented = async () =>
        consentAllows(
          partner.requiresConsent,
          (
            await this.policy.visibleCategories(principal, readable, [
              { id: payload.memberId, organizationId: payload.organizationId },
            ])
          ).get(payload.memberId) ?? [],
        );
      if (!(await consented())) return this.skip(payload, 'consent_not_active', partner.purpose);

      let data: Record<string, unknown> | null = null;
      if (payload.kind !== 'deleted') {
        try {
          data = (await this.reader.get(actor, payload.memberId)).document;
        } catch (error) {
          // The reader's own BAA gate refused (its vendor cache saw the BAA lapse first): parked too.
          if (error instanceof DomainError && error.type === 'baa-required')
            return this.park(payload, partner.vendorId, 'baa_not_in_effect', partner.purpose);
          if (!(error instanceof ResourceNotFound)) throw error;
          // A consent revoked since the check above: still not a deletion.
          if (partner.requiresConsent && !(await consented()))
            return this.skip(payload, 'consent_not_active', partner.purpose);
          // A member deleted (or moved out of reach) since the change: delivered as a deletion.
        }
      }
      // The member's own source (the membership system) gets its sourceRef, which it always knows (a
      // member it created by a dropped webhook and we imported by polling has no id of ours there), and
      // only the groups the change touched, so its newer values of other groups are never overwritten.
      const source = await this.reader.sourceOf(payload.organizationId, payload.memberId);
      const toItsSource = source !== null && source.partnerId === partner.id;
      if (data && toItsSource) data = changedGroupsOnly(data, payload.categories);
      categories = data ? permittedGroupsOf(data, permitted) : [];
      body = {
        type: deliveryEventType(payload.kind, data === null),
        memberId: payload.memberId,
        ...(toItsSource ? { sourceRef: source.sourceRef } : {}),
        version: payload.version,
        occurredAt: payload.occurredAt,
        data,
      };
    }
    const bytes = serializeDeliveryBody(body);
    const secrets = await this.subscriptions.signingSecrets(target.partnerId, target.id);
    const webhookId = deliveryWebhookId(payload.outboxId, payload.subscriptionId);
    const headers = signedDeliveryHeaders(secrets, webhookId, Math.floor(this.clock.nowMs() / 1000), bytes);
    const result = await this.client.post(target.url, bytes, headers, {
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
        // A revocation notice discloses no member value: it is not a disclosure of the member.
        action: payload.topic === 'consent.revoked' ? 'consent.revocation_notice' : 'member.deliver',
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

  /**
   * Parks a delivery refused for a reason that can end (BAA, suspension): kept with its ids until
   * a resume puts it back on the queue; audited like any refusal and alerted once an hour per partner.
   */
  private async park(
    payload: JobPayloads['deliveries.send'],
    vendorId: string,
    reason: ParkReason,
    purpose: string,
  ): Promise<DeliveryOutcome> {
    await this.parked.park({ payload, vendorId, parkedAt: this.clock.now(), reason });
    await this.refusalAudited(payload, reason, purpose);
    const { parked, oldestParkedAt } = await this.parked.ofPartner(payload.partnerId);
    await this.alerts.raise(
      'deliveries_parked',
      'medium',
      `partner:${payload.partnerId}`,
      { vendorId, reason, parked, oldestParkedAt: oldestParkedAt?.toISOString() ?? null },
      PARKED_ALERT_DEDUPE_MS,
    );
    this.logger.warn(
      { outboxId: payload.outboxId, subscriptionId: payload.subscriptionId, reason },
      'delivery parked',
    );
    return { outcome: 'parked', reason };
  }

  private async skip(
    payload: JobPayloads['deliveries.send'],
    reason: SkipReason,
    purpose: string | null,
  ): Promise<DeliveryOutcome> {
    await this.refusalAudited(payload, reason, purpose);
    this.logger.log(
      { outboxId: payload.outboxId, subscriptionId: payload.subscriptionId, reason },
      'delivery skipped',
    );
    return { outcome: 'skipped', reason };
  }

  private async refusalAudited(
    payload: JobPayloads['deliveries.send'],
    reason: SkipReason | ParkReason,
    purpose: string | null,
  ): Promise<void> {
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
