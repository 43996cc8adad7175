import { Injectable } from '@nestjs/common';
import { Clock, JobQueues, ResourceNotFound } from '@app/common';
import {
  subscriptionHealthOf,
  tallyDeliveryJobs,
  type DeliveryTally,
  type SubscriptionHealth,
} from './subscription-health';
import { SubscriptionHealthStore, type SubscriptionHealthRow } from './subscription-health.store';

/**
 * The most job ids read from each state of the deliveries queue per look: bounds a status call and
 * a scrape when a queue has piled up (counts then stop at the bound; docs/operations.md says so).
 */
export const DELIVERY_SCAN_LIMIT = 10_000;
const PENDING_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

export interface SubscriptionHealthEntry extends SubscriptionHealth {
  id: string;
  partnerId: string;
}

/**
 * Each webhook subscription's delivery health: whether it is active, what its endpoint last did
 * (recorded durably by the delivery worker), and what waits for it or died on the deliveries queue
 * (read from job ids, which hold opaque ids only). For operators (any subscription), for a partner
 * (its own), and for /metrics (all but deleted ones).
 */
@Injectable()
export class SubscriptionHealthService {
  constructor(
    private readonly store: SubscriptionHealthStore,
    private readonly jobs: JobQueues,
    private readonly clock: Clock,
  ) {}

  /** For operators: the health, and how many deliveries are parked (BAA not in effect, partner suspended). */
  async status(subscriptionId: string): Promise<SubscriptionHealth & { parkedDeliveries: number }> {
    const row = await this.store.get(subscriptionId);
    if (!row) throw new ResourceNotFound('webhook subscription');
    const [tallies, parkedDeliveries] = await Promise.all([
      this.deliveryTallies(),
      this.store.parkedCount(subscriptionId),
    ]);
    const [entry] = this.entries([row], tallies);
    const { id: _id, partnerId: _partnerId, ...health } = entry;
    return { ...health, parkedDeliveries };
  }

  /** The health of a partner's own subscriptions among `ids`, by id. */
  async ofPartner(partnerId: string, ids: readonly string[]): Promise<Map<string, SubscriptionHealthEntry>> {
    if (ids.length === 0) return new Map();
    const [rows, tallies] = await Promise.all([this.store.ofPartner(partnerId, ids), this.deliveryTallies()]);
    return new Map(this.entries(rows, tallies).map((entry) => [entry.id, entry]));
  }

  /** Every subscription but those their partner deleted, in id order. */
  async all(): Promise<SubscriptionHealthEntry[]> {
    const [rows, tallies] = await Promise.all([this.store.notDeleted(), this.deliveryTallies()]);
    return this.entries(rows, tallies);
  }

  private entries(
    rows: SubscriptionHealthRow[],
    tallies: Map<string, DeliveryTally>,
  ): SubscriptionHealthEntry[] {
    const nowMs = this.clock.nowMs();
    return rows.map((row) => ({
      id: row.id,
      partnerId: row.partnerId,
      ...subscriptionHealthOf(row, tallies.get(row.id), nowMs),
    }));
  }

  /** Two reads of job ids (pending states, failed set), whatever the number of subscriptions. */
  private async deliveryTallies(): Promise<Map<string, DeliveryTally>> {
    const queue = this.jobs.queue('deliveries');
    const [pending, failed] = await Promise.all([
      queue.getRanges([...PENDING_STATES], 0, DELIVERY_SCAN_LIMIT - 1),
      queue.getRanges(['failed'], 0, DELIVERY_SCAN_LIMIT - 1),
    ]);
    return tallyDeliveryJobs(pending, failed);
  }
}
