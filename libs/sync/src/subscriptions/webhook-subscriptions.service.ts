import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import {
  AccessDenied,
  Clock,
  RequestValidationFailed,
  ResourceNotFound,
  type Actor,
  type PartnerPrincipal,
} from '@app/common';
import { KeyProvider, SignedCursors } from '@app/crypto';
import { SubscriptionHostResolver } from './host-resolver';
import type { SubscriptionHealth } from './subscription-health';
import { SubscriptionHealthService } from './subscription-health.service';
import {
  newSigningKey,
  newSubscriptionId,
  newSubscriptionSecretId,
  signingSecretText,
  subscriptionSecretContext,
} from './subscription-format';
import {
  checkSubscriptionUrl,
  resolvedAddressesRefusal,
  type SubscriptionUrlRefusal,
} from './subscription-url';
import { SubscriptionDisabled, TooManySubscriptions, WebhookUrlRefused } from './subscription.errors';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-event-types';
import { WebhookSubscriptionSecret } from './webhook-subscription-secret.entity';
import { WebhookSubscription, type WebhookSubscriptionStatus } from './webhook-subscription.entity';
import { DELETED_REASON } from './webhook-subscription.repository';

/** Bounds the fan-out of one change and the rows one partner can make us keep. */
export const MAX_ACTIVE_SUBSCRIPTIONS = 20;
/** After a rotation the previous secret keeps signing this long, so the receiver can switch without a gap. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
/** Advisory-lock namespace 'wsb' (two-int form): creates for one partner take turns. */
const CREATE_LOCK_NAMESPACE = 0x777362;

export interface WebhookSubscriptionSummary {
  id: string;
  url: string;
  events: string[];
  status: WebhookSubscriptionStatus;
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
  /** How deliveries to it fare (status and reason are the fields above). */
  health: Omit<SubscriptionHealth, 'status' | 'disabledReason'>;
}

/** Where a delivery goes: enough to sign and send, never the secret itself. */
export interface SubscriptionTarget {
  id: string;
  partnerId: string;
  url: string;
}

interface ListCursor {
  p: string;
  c: string;
  i: string;
}

/**
 * Partners' outbound webhook subscriptions: registered (URL checked: https, no credentials, public
 * addresses only, the name resolved once now; the delivery client checks again at connect time),
 * listed without secrets, deleted (disabled, kept for the record), secrets rotated with an overlap.
 * A partner reaches only its own subscriptions; another's answer 404 like a missing one.
 */
@Injectable()
export class WebhookSubscriptionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly keyProvider: KeyProvider,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly cursors: SignedCursors,
    private readonly resolver: SubscriptionHostResolver,
    private readonly health: SubscriptionHealthService,
  ) {}

  async create(
    actor: Actor,
    request: { url: string; events: readonly WebhookEventType[] },
  ): Promise<{ id: string; secret: string }> {
    const partner = partnerOf(actor);
    const href = await this.registrableUrl(actor, request.url);
    const events = WEBHOOK_EVENT_TYPES.filter((e) => request.events.includes(e));
    const id = newSubscriptionId();
    const secretId = newSubscriptionSecretId();
    const key = newSigningKey();
    const secretWrapped = await this.keyProvider.wrap(
      key,
      subscriptionSecretContext(partner.partnerId, id, secretId),
    );
    const now = this.clock.now();
    await this.em.fork().transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?, hashtext(?))', [
        CREATE_LOCK_NAMESPACE,
        partner.partnerId,
      ]);
      const subscriptions = em.getRepository(WebhookSubscription);
      if ((await subscriptions.countActive(partner.partnerId)) >= MAX_ACTIVE_SUBSCRIPTIONS)
        throw new TooManySubscriptions(MAX_ACTIVE_SUBSCRIPTIONS);
      await subscriptions.insert({
        id,
        partnerId: partner.partnerId,
        url: href,
        events,
        status: 'active',
        createdAt: now,
        createdBy: partner.id.slice(0, 40),
        disabledAt: null,
        disabledReason: null,
        disabledBy: null,
      });
      await em.getRepository(WebhookSubscriptionSecret).insert({
        id: secretId,
        subscriptionId: id,
        partnerId: partner.partnerId,
        secretWrapped,
        createdAt: now,
        expiresAt: null,
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'webhook_subscription.create',
        resourceType: 'webhook_subscription',
        resourceIds: [id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id, secret: signingSecretText(key) };
  }

  async list(
    actor: Actor,
    page: { cursor?: string; limit?: number },
  ): Promise<{ data: WebhookSubscriptionSummary[]; nextCursor: string | null }> {
    const { partnerId } = partnerOf(actor);
    const limit = page.limit ?? 50;
    let after: { createdAt: Date; id: string } | null = null;
    if (page.cursor) {
      const state = await this.cursors.verify<ListCursor>(page.cursor);
      // Another partner's cursor (or a forged one) is refused like a malformed one.
      if (!state || state.p !== partnerId || typeof state.c !== 'string' || typeof state.i !== 'string')
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      after = { createdAt: new Date(state.c), id: state.i };
    }
    const rows = await this.em
      .fork()
      .getRepository(WebhookSubscription)
      .page(partnerId, after, limit + 1);
    const last = rows.length > limit ? rows[limit - 1] : null;
    const shown = rows.slice(0, limit);
    const health = await this.health.ofPartner(
      partnerId,
      shown.map((row) => row.id),
    );
    return {
      data: shown.map((row) => summaryOf(row, health.get(row.id))),
      nextCursor: last
        ? await this.cursors.sign({
            p: partnerId,
            c: last.createdAt.toISOString(),
            i: last.id,
          } satisfies ListCursor)
        : null,
    };
  }

  /** Stops deliveries for good: the row stays (disabled, reason `deleted`) and leaves the partner's list. */
  async delete(actor: Actor, subscriptionId: string): Promise<void> {
    const partner = partnerOf(actor);
    await this.em.fork().transactional(async (em) => {
      const disabled = await em
        .getRepository(WebhookSubscription)
        .disable(partner.partnerId, subscriptionId, {
          disabledAt: this.clock.now(),
          disabledReason: DELETED_REASON,
          disabledBy: partner.id.slice(0, 40),
        });
      if (!disabled) throw new ResourceNotFound('webhook subscription');
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'webhook_subscription.delete',
        resourceType: 'webhook_subscription',
        resourceIds: [subscriptionId],
        outcome: 'success',
        statusCode: 204,
      });
    });
  }

  /**
   * A new secret, shown once; the previous one keeps signing for 24 hours (deliveries carry both
   * signatures), and one still overlapping from an earlier rotation stops at once.
   */
  async rotateSecret(
    actor: Actor,
    subscriptionId: string,
  ): Promise<{ id: string; secret: string; previousSecretExpiresAt: string }> {
    const partner = partnerOf(actor);
    const secretId = newSubscriptionSecretId();
    const key = newSigningKey();
    const secretWrapped = await this.keyProvider.wrap(
      key,
      subscriptionSecretContext(partner.partnerId, subscriptionId, secretId),
    );
    const now = this.clock.now();
    const overlapEnds = new Date(now.getTime() + SECRET_ROTATION_OVERLAP_MS);
    await this.em.fork().transactional(async (em) => {
      const subscription = await em.findOne(
        WebhookSubscription,
        { id: subscriptionId, partnerId: partner.partnerId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!subscription || subscription.disabledReason === DELETED_REASON)
        throw new ResourceNotFound('webhook subscription');
      if (subscription.status !== 'active') throw new SubscriptionDisabled();
      const secrets = em.getRepository(WebhookSubscriptionSecret);
      await secrets.retire(partner.partnerId, subscriptionId, now, overlapEnds);
      await secrets.insert({
        id: secretId,
        subscriptionId,
        partnerId: partner.partnerId,
        secretWrapped,
        createdAt: now,
        expiresAt: null,
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'webhook_subscription.rotate_secret',
        resourceType: 'webhook_subscription',
        resourceIds: [subscriptionId, secretId],
        outcome: 'success',
        statusCode: 200,
      });
    });
    return {
      id: subscriptionId,
      secret: signingSecretText(key),
      previousSecretExpiresAt: overlapEnds.toISOString(),
    };
  }

  /** The secrets a delivery signs with now, newest first, unwrapped (for the delivery worker; never returned by a route). */
  async signingSecrets(partnerId: string, subscriptionId: string): Promise<string[]> {
    const rows = await this.em
      .fork()
      .getRepository(WebhookSubscriptionSecret)
      .active(partnerId, subscriptionId, this.clock.now());
    return Promise.all(
      rows.map(async (row) =>
        signingSecretText(
          await this.keyProvider.unwrap(
            row.secretWrapped,
            subscriptionSecretContext(row.partnerId, row.subscriptionId, row.id),
          ),
        ),
      ),
    );
  }

  /** Active subscriptions to an event type, across partners: where a change fans out to. */
  async subscribersOf(eventType: WebhookEventType): Promise<SubscriptionTarget[]> {
    const rows = await this.em.fork().getRepository(WebhookSubscription).subscribedTo(eventType);
    return rows.map((row) => ({ id: row.id, partnerId: row.partnerId, url: row.url }));
  }

  /** One subscription as a delivery sees it now (active or not), read fresh: a delivery re-checks at send time. */
  async deliveryTarget(
    subscriptionId: string,
  ): Promise<(SubscriptionTarget & { active: boolean; events: string[] }) | null> {
    const row = await this.em.fork().findOne(WebhookSubscription, { id: subscriptionId });
    if (!row) return null;
    return {
      id: row.id,
      partnerId: row.partnerId,
      url: row.url,
      active: row.status === 'active',
      events: [...row.events],
    };
  }

  /**
   * Disabled by the delivery worker (`gone`: the endpoint answered 410; `failing`: it failed for the
   * configured window): audited as the service's doing; false when it was already deleted.
   */
  async disableForDelivery(
    partnerId: string,
    subscriptionId: string,
    reason: 'gone' | 'failing',
  ): Promise<boolean> {
    return this.em.fork().transactional(async (em) => {
      const disabled = await em.getRepository(WebhookSubscription).disable(partnerId, subscriptionId, {
        disabledAt: this.clock.now(),
        disabledReason: reason,
        disabledBy: 'deliveries',
      });
      if (disabled)
        await this.audit.record(em, {
          actorType: 'system',
          actorId: 'deliveries',
          partnerId,
          action: 'webhook_subscription.disable',
          resourceType: 'webhook_subscription',
          resourceIds: [subscriptionId],
          outcome: 'success',
          reason,
        });
      return disabled;
    });
  }

  /**
   * The URL as it will be requested, once it passed the rules and, for a name, every address it
   * resolves to now is public. A refusal is audited with its rule, never the URL or an address.
   */
  private async registrableUrl(actor: Actor, url: string): Promise<string> {
    const check = checkSubscriptionUrl(url);
    let refusal: SubscriptionUrlRefusal | null = check.ok ? null : check.reason;
    if (check.ok && check.hostname !== null) {
      const addresses = await this.resolver.resolve(check.hostname);
      refusal = resolvedAddressesRefusal(addresses.map((a) => a.address));
    }
    if (refusal !== null || !check.ok) {
      const reason = refusal ?? 'malformed';
      await this.audit.record(this.em.fork(), {
        ...auditActor(actor),
        action: 'webhook_subscription.create',
        resourceType: 'webhook_subscription',
        outcome: 'denied',
        statusCode: 422,
        reason: `url_${reason}`,
      });
      throw new WebhookUrlRefused(reason);
    }
    return check.href;
  }
}

/** The partner behind a partner route; an admin token never reaches one (the guard refuses it first). */
function partnerOf(actor: Actor): PartnerPrincipal {
  if (!actor.principal || actor.principal.kind === 'admin') throw new AccessDenied('admin_on_partner_route');
  return actor.principal;
}

function summaryOf(
  row: WebhookSubscription,
  health: SubscriptionHealth | undefined,
): WebhookSubscriptionSummary {
  return {
    id: row.id,
    url: row.url,
    events: [...row.events],
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    disabledAt: row.disabledAt ? row.disabledAt.toISOString() : null,
    disabledReason: row.disabledReason ?? null,
    health: {
      lastSuccessAt: health?.lastSuccessAt ?? null,
      lastFailureAt: health?.lastFailureAt ?? null,
      lagSeconds: health?.lagSeconds ?? 0,
      pendingDeliveries: health?.pendingDeliveries ?? 0,
      deadLetters: health?.deadLetters ?? 0,
      consecutiveFailures: health?.consecutiveFailures ?? 0,
      failingSince: health?.failingSince ?? null,
    },
  };
}
