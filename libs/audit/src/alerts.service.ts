import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import { AppConfig, Clock, newId, REDIS } from '@app/common';
import { Alert, AlertSeverity, AlertType } from './alert.entity';

const AUTH_FAILURE_WINDOW_MS = 15 * 60 * 1000;

@Injectable()
export class AlertsService {
  private readonly logger = new Logger('Alerts');

  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
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

  list(filter: { unacknowledged?: boolean; type?: AlertType } = {}): Promise<Alert[]> {
    return this.em.fork().find(
      Alert,
      {
        ...(filter.unacknowledged ? { acknowledgedAt: null } : {}),
        ...(filter.type ? { type: filter.type } : {}),
      },
      { orderBy: { raisedAt: 'desc' }, limit: 200 },
    );
  }
}
