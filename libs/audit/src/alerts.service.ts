import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import { AppConfig, Clock, DomainError, JobQueues, newId, REDIS, type Actor } from '@app/common';
import { auditActor } from './audit-actor';
import { sourceNetwork, withinBusinessHours } from './alert-rules';
import { AuditService } from './audit.service';
import { Alert, AlertSeverity, AlertType } from './alert.entity';

const AUTH_FAILURE_WINDOW_MS = 15 * 60 * 1000;

export class AlertNotFound extends DomainError {
  readonly type = 'not-found' as const;
  constructor() {
    super('No alert with that id.');
  }
}

@Injectable()
export class AlertsService {
  private readonly logger = new Logger('Alerts');

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
   * business hours, raises `bulk_read_off_hours` once for that hour.
   */
  async noteMemberReads(clientId: string, members: number): Promise<void> {
    if (members === 0) return;
    const now = this.clock.now();
    const hour = Math.floor(now.getTime() / 3_600_000);
    const key = `${this.config.redis.keyPrefix}:reads:${clientId}:${hour}`;
    const [[, total]] = (await this.redis.multi().incrby(key, members).expire(key, 7200).exec()) as [
      [unknown, number],
      unknown,
    ];
    if (
      total > this.config.alertRules.bulkReadPerHour &&
      !withinBusinessHours(now, this.config.alertRules.businessHours)
    ) {
      await this.raise(
        'bulk_read_off_hours',
        'high',
        `client:${clientId}`,
        { membersReadThisHour: total },
        3_600_000,
      );
    }
  }

  /**
   * Usual-location rule: after a learning period of requests, a client calling from a network
   * (/24, /48) it never used before raises `unusual_source_network` (once a day per network).
   */
  async noteSourceNetwork(clientId: string, ip: string): Promise<void> {
    const network = sourceNetwork(ip);
    const base = `${this.config.redis.keyPrefix}:networks:${clientId}`;
    const [[, added], [, requests]] = (await this.redis
      .multi()
      .sadd(`${base}:known`, network)
      .incr(`${base}:requests`)
      .expire(`${base}:known`, 30 * 86400)
      .expire(`${base}:requests`, 30 * 86400)
      .exec()) as [[unknown, number], [unknown, number], unknown, unknown];
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
