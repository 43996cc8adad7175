import type { DataCategory } from '../data-categories';

/**
 * Every background job: its queue and retry budget, and (below) its payload. Payloads carry
 * opaque ids and a reason only, never ePHI. A job name here with no handler, or with two, stops
 * the worker at boot.
 */
export const JOBS = {
  'keys.rotate': { queue: 'keys', attempts: 20 },
  'audit.checkpoint': { queue: 'audit', attempts: 10 },
  'alerts.deliver': { queue: 'alerts', attempts: 12 },
  'idempotency.sweep': { queue: 'sync', attempts: 5 },
  'outbox.prune': { queue: 'sync', attempts: 5 },
  'deliveries.dispatch': { queue: 'deliveries', attempts: 10 },
  // A delivery's retry schedule is its own (each attempt a job); these attempts only cover a
  // crash on our side (database, Redis) within one attempt.
  'deliveries.send': { queue: 'deliveries', attempts: 3 },
  // Parked deliveries back on the deliveries queue: after a BAA change (per vendor) and as a
  // 5-minute sweep. On `sync` with the other sweeps, so the deliveries queue holds deliveries only.
  'deliveries.resume-parked': { queue: 'sync', attempts: 5 },
  // A queue of their own: a long backfill must not hold up the sync queue's sweeps.
  'sync.poll': { queue: 'polling', attempts: 3 },
  'sync.backfill': { queue: 'polling', attempts: 10 },
  // Daily BAA expiry warnings (30 and 7 days ahead) and marking lapsed BAAs expired.
  'vendors.baa-expiry-check': { queue: 'compliance', attempts: 5 },
  // Hourly: raises rights_request_overdue once per rights request open past its due date.
  'rights.overdue-check': { queue: 'compliance', attempts: 5 },
} as const;

export type JobName = keyof typeof JOBS;
export type QueueName = (typeof JOBS)[JobName]['queue'];

export interface JobPayloads {
  'keys.rotate': { rotationId: string; reason: 'kek_rotation' };
  'audit.checkpoint': { reason: 'event_count' | 'interval' };
  'alerts.deliver': { alertId: string };
  'idempotency.sweep': { reason: 'retention' };
  'outbox.prune': { reason: 'retention' };
  /**
   * An outbox row relayed (jobId = outboxId): a member change, or a consent revoked (its notice goes
   * to the revoked partner only). Ids, category and purpose names; never values.
   */
  'deliveries.dispatch':
    | {
        outboxId: string;
        topic: 'member.changed';
        memberId: string;
        organizationId: string;
        version: number;
        kind: 'created' | 'updated' | 'deleted';
        categories: DataCategory[];
        sender: string;
        occurredAt: string;
      }
    | {
        outboxId: string;
        topic: 'consent.revoked';
        memberId: string;
        organizationId: string;
        /** The partner whose consent was revoked: the only one notified. */
        partnerId: string;
        consentId: string;
        purpose: string;
        categories: DataCategory[];
        sender: string;
        occurredAt: string;
      };
  /**
   * One attempt to deliver one outbox row to one subscription (jobId `<outboxId>.<subscriptionId>`,
   * `.r<n>` once resumed from parking, then `.a<n>` for attempt n): ids only; the member is read,
   * projected and signed when it runs.
   */
  'deliveries.send': {
    outboxId: string;
    subscriptionId: string;
    partnerId: string;
    memberId: string;
    organizationId: string;
    occurredAt: string;
    attempt: number;
    /** How many times this delivery was resumed after parking (absent: never parked). */
    resumed?: number;
  } & (
    | {
        topic?: 'member.changed';
        version: number;
        kind: 'created' | 'updated' | 'deleted';
        /** The data categories the change touched (names, not values); absent on jobs queued before it existed. */
        categories?: DataCategory[];
      }
    | { topic: 'consent.revoked'; consentId: string; purpose: string; categories: DataCategory[] }
  );
  /** Parked deliveries of one vendor after its BAA came into effect, or of every vendor (the sweep). */
  'deliveries.resume-parked': { vendorId: string; reason: 'baa_renewed' } | { reason: 'sweep' };
  /** One poll of a source's change feed from its stored cursor (repeating per source, or on demand). */
  'sync.poll': { sourceId: string };
  /** A source's whole feed from the beginning, on the backfill's own cursor. */
  'sync.backfill': { sourceId: string };
  'vendors.baa-expiry-check': { reason: 'daily' | 'on_demand' };
  'rights.overdue-check': { reason: 'interval' | 'on_demand' };
}

export const QUEUE_NAMES = [...new Set(Object.values(JOBS).map((j) => j.queue))] as QueueName[];

export function jobsOf(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
}

/** Which job names lack a handler and which have more than one (both stop the worker). */
export function handlerProblems(declared: readonly string[]): {
  missing: JobName[];
  duplicated: string[];
  unknown: string[];
} {
  const known = Object.keys(JOBS) as JobName[];
  const counts = new Map<string, number>();
  for (const name of declared) counts.set(name, (counts.get(name) ?? 0) + 1);
  return {
    missing: known.filter((name) => !counts.has(name)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([name]) => name),
    unknown: [...counts.keys()].filter((name) => !(known as string[]).includes(name)),
  };
}
