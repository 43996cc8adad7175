import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '@app/common';
import type { WebhookPostResult } from './safe-webhook.client';
import { deliveredBy, type EndpointRecord } from './subscription-health';
import type { WebhookSubscriptionStatus } from './webhook-subscription.entity';
import { DELETED_REASON } from './webhook-subscription.repository';

// A 2xx ends any run of failures; the last success never moves back (attempts may finish out of order).
const DELIVERED = preparedStatement(
  'subscription_health_delivered',
  `insert into webhook_subscription_health as h (subscription_id, last_success_at, consecutive_failures)
   values ($1, $2, 0)
   on conflict (subscription_id) do update set
     last_success_at = greatest(h.last_success_at, excluded.last_success_at),
     consecutive_failures = 0, failing_since = null`,
);

const FAILED = preparedStatement(
  'subscription_health_failed',
  `insert into webhook_subscription_health as h
     (subscription_id, last_failure_at, consecutive_failures, failing_since)
   values ($1, $2, 1, $2)
   on conflict (subscription_id) do update set
     last_failure_at = greatest(h.last_failure_at, excluded.last_failure_at),
     consecutive_failures = h.consecutive_failures + 1,
     failing_since = coalesce(h.failing_since, excluded.failing_since)`,
);

/** A subscription with what its deliveries recorded (opaque ids, times, counts). */
export interface SubscriptionHealthRow extends EndpointRecord {
  id: string;
  partnerId: string;
  status: WebhookSubscriptionStatus;
  disabledReason: string | null;
}

interface Row {
  id: string;
  partner_id: string;
  status: WebhookSubscriptionStatus;
  disabled_reason: string | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  consecutive_failures: number | null;
  failing_since: Date | null;
}

const SELECT = `select s.id, s.partner_id, s.status, s.disabled_reason,
    h.last_success_at, h.last_failure_at, h.consecutive_failures, h.failing_since
  from webhook_subscription s left join webhook_subscription_health h on h.subscription_id = s.id`;

/**
 * Each subscription's endpoint record, written by the delivery worker after every attempt (one
 * statement, prepared) and read with the subscription by the health views. Durable, unlike the
 * queue: a Redis restart does not forget when a partner last received a change.
 */
@Injectable()
export class SubscriptionHealthStore {
  constructor(private readonly em: EntityManager) {}

  /** Records one attempt's answer from the endpoint at `at`. */
  async recordAttempt(subscriptionId: string, result: WebhookPostResult, at: Date): Promise<void> {
    await runPrepared(this.em, deliveredBy(result) ? DELIVERED : FAILED, [subscriptionId, at]);
  }

  async get(subscriptionId: string): Promise<SubscriptionHealthRow | null> {
    const [row] = await this.em.fork().execute<Row[]>(`${SELECT} where s.id = ?`, [subscriptionId]);
    return row ? rowOf(row) : null;
  }

  /** Deliveries to the subscription parked while its partner's BAA is not in effect (or it is suspended). */
  async parkedCount(subscriptionId: string): Promise<number> {
    const [row] = await this.em
      .fork()
      .execute<{ n: string }[]>('select count(*) as n from parked_delivery where subscription_id = ?', [
        subscriptionId,
      ]);
    return Number(row.n);
  }

  /** One partner's subscriptions among `ids` (a page of its list). */
  async ofPartner(partnerId: string, ids: readonly string[]): Promise<SubscriptionHealthRow[]> {
    if (ids.length === 0) return [];
    const placeholders = ids.map(() => '?').join(', ');
    const rows = await this.em
      .fork()
      .execute<Row[]>(`${SELECT} where s.partner_id = ? and s.id in (${placeholders})`, [partnerId, ...ids]);
    return rows.map(rowOf);
  }

  /** Every subscription not deleted by its partner (deleted ones would only grow the list for good). */
  async notDeleted(): Promise<SubscriptionHealthRow[]> {
    const rows = await this.em
      .fork()
      .execute<Row[]>(`${SELECT} where s.disabled_reason is distinct from ? order by s.id`, [DELETED_REASON]);
    return rows.map(rowOf);
  }
}

function rowOf(row: Row): SubscriptionHealthRow {
  return {
    id: row.id,
    partnerId: row.partner_id,
    status: row.status,
    disabledReason: row.disabled_reason,
    lastSuccessAt: row.last_success_at ? new Date(row.last_success_at) : null,
    lastFailureAt: row.last_failure_at ? new Date(row.last_failure_at) : null,
    consecutiveFailures: row.consecutive_failures ?? 0,
    failingSince: row.failing_since ? new Date(row.failing_since) : null,
  };
}
