import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import { AppConfig, Clock, DomainError, JobQueues, newId, REDIS, type Actor } from '@app/common';
import { auditActor } from './audit-actor';
import { sourceNetwork, withinBusinessHours } from './alert-rules';
import { AuditService } from './audit.service';
import {
  Alert,
  ALERT_STATUSES,
  ALERT_TYPES,
  AlertSeverity,
  AlertType,
  type AlertStatus,
} from './alert.entity';

const AUTH_FAILURE_WINDOW_MS = 15 * 60 * 1000;
/** Member reads are counted in memory and sent to Redis at most this long after the read… */
const READS_FLUSH_MS = 100;
/** …or at once when this many reads are waiting. */
const READS_FLUSH_AT = 1000;

/** Members read by one client in one clock hour, inside or outside business hours, not yet in Redis. */
interface ReadCount {
  clientId: string;
  hour: number;
  offHours: boolean;
  members: number;
}

/** What `noteMemberReads` answers: the read never waits for Redis (one shared settled promise). */
const NOTED = Promise.resolve();

const bucketOf = (c: Pick<ReadCount, 'clientId' | 'hour' | 'offHours'>) =>
  `${c.clientId}:${c.hour}:${c.offHours ? 'off' : 'in'}`;

export class AlertNotFound extends DomainError {
  readonly type = 'not-found' as const;
  constructor() {
    super('No alert with that id.');
  }
}

// How long a settled network skips Redis (its 30-day expiry is refreshed at least this often), and
// how many such networks a process remembers.
const SETTLED_NETWORK_MS = 60_000;
const SETTLED_NETWORKS_KEPT = 10_000;

@Injectable()
export class AlertsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Alerts');
  private readonly reads = new Map<string, ReadCount>();
  private readsWaiting = 0;
  private readsTimer: NodeJS.Timeout | null = null;
  private readsSending: Promise<void> | null = null;
  // Networks a client is known to use, past its learning period, as this process last heard from
  // Redis: the usual-network rule cannot fire for them, so requests from there skip Redis for a while.
  private readonly settledNetworks = new Map<string, number>();

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly jobs: JobQueues,
    private readonly audit: AuditService,
  ) {}

  /**
   * Stores an alert, at most one per type and subject per `dedupeMs` (Redis-coordinated, so N API
   * processes raise it once). Returns the alert id, or undefined when it was deduplicated.
   */
  async raise(
    type: AlertType,
    severity: AlertSeverity,
    subject: string,
    details: Record<string, unknown> = {},
    dedupeMs = AUTH_FAILURE_WINDOW_MS,
  ): Promise<string | undefined> {
    const key = `${this.config.redis.keyPrefix}:alert-dedupe:${type}:${subject}`;
    const first = await this.redis.set(key, '1', 'PX', dedupeMs, 'NX');
    if (first !== 'OK') return undefined;
    const id = newId('alert');
    await this.em.fork().insert(Alert, { id, type, severity, subject, details, raisedAt: this.clock.now() });
    this.logger.warn({ alertId: id, type, severity, subject }, 'security alert raised');
    if (this.config.audit.securityWebhook)
      await this.jobs.enqueue('alerts.deliver', { alertId: id }, `alert-${id}`);
    return id;
  }

  /**
   * Counts an authentication failure for each subject (client, IP) in a sliding 15-minute window
   * and raises `auth_failures` when one reaches the configured threshold.
   */
  async countAuthFailure(subjects: string[]): Promise<void> {
    const now = this.clock.nowMs();
    for (const subject of subjects) {
      const key = `${this.config.redis.keyPrefix}:auth-failures:${subject}`;
      const member = `${now}:${Math.random().toString(36).slice(2)}`;
      const [, , [, count]] = (await this.redis
        .multi()
        .zremrangebyscore(key, 0, now - AUTH_FAILURE_WINDOW_MS)
        .zadd(key, now, member)
        .zcard(key)
        .pexpire(key, AUTH_FAILURE_WINDOW_MS)
        .exec()) as [unknown, unknown, [unknown, number], unknown];
      if (count >= this.config.auth.authFailureAlertThreshold) {
        await this.raise('auth_failures', 'high', subject, { failuresIn15Minutes: count });
      }
    }
  }

  /**
   * Bulk-read rule: counts members read by one client per clock hour; past the threshold outside
   * business hours, raises `bulk_read_off_hours` once for that hour. The read is not held up by
   * Redis: counts gather in memory and are sent in one MULTI within `READS_FLUSH_MS` (see
   * `flushReads`), so the alert is raised at most that much later.
   */
  noteMemberReads(clientId: string, members: number): Promise<void> {
    if (members === 0) return NOTED;
    const now = this.clock.now();
    const hour = Math.floor(now.getTime() / 3_600_000);
    // Business hours are decided at the read, not at the flush, as when each read went to Redis.
    const offHours = !withinBusinessHours(now, this.config.alertRules.businessHours);
    const bucket = bucketOf({ clientId, hour, offHours });
    const count = this.reads.get(bucket);
    if (count) count.members += members;
    else this.reads.set(bucket, { clientId, hour, offHours, members });
    this.readsWaiting += 1;
    if (this.readsWaiting >= READS_FLUSH_AT) void this.flushReads();
    else if (!this.readsTimer) {
      this.readsTimer = setTimeout(() => void this.flushReads(), READS_FLUSH_MS);
      this.readsTimer.unref();
    }
    return NOTED;
  }

  /**
   * Sends the counted reads to Redis and raises the alerts they cross; resolves when those are
   * stored. Runs on a timer, before shutdown, and wherever a caller must see the alert now (tests).
   */
  flushReads(): Promise<void> {
    if (this.readsTimer) clearTimeout(this.readsTimer);
    this.readsTimer = null;
    // One send at a time; counts noted meanwhile go in the next round of the same loop, so a
    // caller awaiting this has seen every count noted before its call reach Redis.
    this.readsSending ??= this.sendAllReads().finally(() => (this.readsSending = null));
    return this.readsSending;
  }

  /** The process stops only after its last counts reached Redis, or 2 s (Redis may be down). */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushReads(), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
  }

  private async sendAllReads(): Promise<void> {
    while (this.reads.size > 0) {
      const counts = [...this.reads.values()];
      this.reads.clear();
      this.readsWaiting = 0;
      // Refused: the counts are back in the map and the next read's timer retries them.
      if (!(await this.sendReads(counts))) return;
    }
  }

  /** Never rejects: counts that did not reach Redis are put back for the next flush (answers false). */
  private async sendReads(counts: ReadCount[]): Promise<boolean> {
    const key = (c: ReadCount) => `${this.config.redis.keyPrefix}:reads:${c.clientId}:${c.hour}`;
    const multi = this.redis.multi();
    for (const count of counts) multi.incrby(key(count), count.members).expire(key(count), 7200);
    let totals: number[];
    try {
      const replies = (await multi.exec()) as Array<[Error | null, number]>;
      totals = counts.map((_, i) => {
        const [error, total] = replies[i * 2];
        if (error) throw error;
        return total;
      });
    } catch (error) {
      for (const count of counts) {
        const waiting = this.reads.get(bucketOf(count));
        if (waiting) waiting.members += count.members;
        else this.reads.set(bucketOf(count), { ...count });
      }
      this.logger.warn(
        { error: error instanceof Error ? error.name : 'unknown' },
        'member-read counts not sent to Redis; kept for the next flush',
      );
      return false;
    }
    for (const [i, count] of counts.entries()) {
      if (!count.offHours || totals[i] <= this.config.alertRules.bulkReadPerHour) continue;
      await this.raise(
        'bulk_read_off_hours',
        'high',
        `client:${count.clientId}`,
        { membersReadThisHour: totals[i] },
        3_600_000,
      ).catch((error: unknown) =>
        this.logger.error(
          { error: error instanceof Error ? error.name : 'unknown', subject: `client:${count.clientId}` },
          'bulk-read alert not raised',
        ),
      );
    }
    return true;
  }

  /**
   * Usual-location rule: after a learning period of requests, a client calling from a network
   * (/24, /48) it never used before raises `unusual_source_network` (once a day per network).
   */
  async noteSourceNetwork(clientId: string, ip: string): Promise<void> {
    const network = sourceNetwork(ip);
    const settled = `${clientId}@${network}`;
    const now = this.clock.nowMs();
    if ((this.settledNetworks.get(settled) ?? 0) > now) return;
    const base = `${this.config.redis.keyPrefix}:networks:${clientId}`;
    const [[, added], [, requests]] = (await this.redis
      .multi()
      .sadd(`${base}:known`, network)
      .incr(`${base}:requests`)
      .expire(`${base}:known`, 30 * 86400)
      .expire(`${base}:requests`, 30 * 86400)
      .exec()) as [[unknown, number], [unknown, number], unknown, unknown];
    if (added === 0 && requests > this.config.alertRules.ipLearningRequests) {
      this.settledNetworks.delete(settled);
      this.settledNetworks.set(settled, now + SETTLED_NETWORK_MS);
      if (this.settledNetworks.size > SETTLED_NETWORKS_KEPT) {
        this.settledNetworks.delete(this.settledNetworks.keys().next().value as string);
      }
    }
    if (added === 1 && requests > this.config.alertRules.ipLearningRequests) {
      await this.raise(
        'unusual_source_network',
        'medium',
        `client:${clientId}@${network}`,
        { network },
        86_400_000,
      );
    }
  }

  /** The newest 200 alerts, acknowledged or not. */
  async list(): Promise<{ data: Alert[] }> {
    return { data: await this.em.fork().find(Alert, {}, { orderBy: { raisedAt: 'desc' }, limit: 200 }) };
  }

  /**
   * How many alerts there are of each type, open and acknowledged (for /metrics): one grouped count
   * over the alert table, every known type and status present (0 when none), unknown types left out.
   */
  async counts(): Promise<Array<{ type: AlertType; status: AlertStatus; count: number }>> {
    const rows = await this.em
      .fork()
      .execute<Array<{ type: string; acknowledged: boolean; count: number }>>(
        'select type, acknowledged_at is not null as acknowledged, count(*)::int as count from alert group by 1, 2',
      );
    const found = new Map(
      rows.map((row) => [`${row.type}:${row.acknowledged ? 'acknowledged' : 'open'}`, row.count]),
    );
    return ALERT_TYPES.flatMap((type) =>
      ALERT_STATUSES.map((status) => ({ type, status, count: Number(found.get(`${type}:${status}`) ?? 0) })),
    );
  }

  /** Marks an alert handled, with who and why; audited with the change. */
  async acknowledge(alertId: string, note: string, actor: Actor): Promise<Alert> {
    return this.em.fork().transactional(async (em) => {
      const alert = await em.findOne(Alert, { id: alertId });
      if (!alert) throw new AlertNotFound();
      if (!alert.acknowledgedAt) {
        alert.acknowledgedAt = this.clock.now();
        alert.acknowledgedBy = actor.principal?.id ?? null;
        alert.note = note;
        await this.audit.record(em, {
          ...auditActor(actor),
          action: 'alert.acknowledge',
          resourceType: 'alert',
          resourceIds: [alertId],
          outcome: 'success',
          statusCode: 200,
        });
      }
      return alert;
    });
  }
}
