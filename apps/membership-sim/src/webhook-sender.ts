import { randomBytes } from 'node:crypto';
import type { Clock } from '@app/common';
import { webhookHeaders, type WebhookHeaders } from '@app/crypto';
import type { SimEvent } from './change-plan';
import type { DeliveryPlan } from './delivery-plan';
import type { ActiveTarget } from './sim-settings';
import { postToTarget, type TargetResponse } from './target-client';
import { webhookRequestFor } from './webhook-request';

export interface SendOptions {
  /** Requests in flight at once; 1 keeps the plan's order exactly. */
  concurrency: number;
  /** A pause before each request. */
  delayMs: number;
}

/** What happened to a run's webhooks (counts and our API's ids only, never member data). */
export interface SendTally {
  /** Events whose webhook went out (at least once). */
  sent: number;
  /** Extra copies sent (same webhook-id, same bytes). */
  duplicated: number;
  /** Answers by HTTP status. */
  responses: Record<string, number>;
  /** Requests that got no answer (connection refused, timeout). */
  failed: number;
  /** Our API's member id per sourceRef, from its answers to creates. */
  memberIds: Map<string, string>;
}

interface SignedMessage {
  path: string;
  body: string;
  headers: WebhookHeaders;
}

const MEMBER_ID = /^mbr_[0-9A-Za-z]{10,40}$/;

/** Pushes a run's events to our API as Standard-Webhooks-signed requests, as the plan says. */
export class WebhookSender {
  constructor(private readonly clock: Clock) {}

  async send(
    events: readonly SimEvent[],
    plan: DeliveryPlan,
    active: ActiveTarget,
    options: SendOptions,
    tally: SendTally,
  ): Promise<void> {
    // A duplicate repeats the first copy's exact message, so the signed copies are kept until then.
    const duplicated = new Set(plan.duplicated);
    const signed = new Map<number, SignedMessage>();
    let next = 0;
    const stop: { error: Error | null } = { error: null };
    const worker = async () => {
      while (stop.error === null && next < plan.sends.length) {
        const { event, duplicate } = plan.sends[next++];
        if (options.delayMs > 0) await sleep(options.delayMs);
        let message = signed.get(event);
        if (!message) {
          message = this.sign(events[event], active);
          if (duplicated.has(event)) signed.set(event, message);
        } else {
          signed.delete(event);
        }
        if (duplicate) tally.duplicated += 1;
        else tally.sent += 1;
        try {
          const response = await this.post(message, active);
          tally.responses[response.status] = (tally.responses[response.status] ?? 0) + 1;
          if (events[event].kind === 'create') this.learnMemberId(events[event].sourceRef, response, tally);
        } catch (error) {
          if (error instanceof TokenUnavailable)
            stop.error = error.cause instanceof Error ? error.cause : error;
          else tally.failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    if (stop.error !== null) throw stop.error;
  }

  private sign(event: SimEvent, active: ActiveTarget): SignedMessage {
    const { path, body } = webhookRequestFor(event, active.target.organizationId);
    const id = `msg_${randomBytes(16).toString('hex')}`;
    return {
      path,
      body,
      headers: webhookHeaders(active.target.webhookSecret, id, this.clock.nowSeconds(), body),
    };
  }

  /** Sends with the current token; a 401 means it was revoked or expired early: one retry with a new one. */
  private async post(message: SignedMessage, active: ActiveTarget): Promise<TargetResponse> {
    const once = async () => {
      const token = await active.tokens.get().catch((error: unknown) => {
        throw new TokenUnavailable(error);
      });
      return postToTarget(active.target, active.agent, message.path, message.body, {
        ...message.headers,
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      });
    };
    const response = await once();
    if (response.status !== 401) return response;
    active.tokens.invalidate();
    return once();
  }

  /** A create answers 201 {id} (or 409 with the existing id): remember it for deliveries by memberId. */
  private learnMemberId(sourceRef: string, response: TargetResponse, tally: SendTally): void {
    if (response.status !== 201 && response.status !== 409) return;
    try {
      const body = JSON.parse(response.body) as { id?: unknown; memberId?: unknown };
      const id = typeof body.id === 'string' ? body.id : body.memberId;
      if (typeof id === 'string' && MEMBER_ID.test(id)) tally.memberIds.set(sourceRef, id);
    } catch {
      // Not JSON: nothing to learn.
    }
  }
}

/** The token endpoint failed: every request would fail the same way, so the run stops. */
class TokenUnavailable extends Error {
  constructor(cause: unknown) {
    super('no access token from the target', { cause });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
