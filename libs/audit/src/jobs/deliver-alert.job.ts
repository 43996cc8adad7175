import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock, JobHandler, type JobPayloads } from '@app/common';
import { webhookHeaders } from '@app/crypto';
import { Alert } from '../alert.entity';

/**
 * POSTs a security alert to the configured security webhook, signed per Standard Webhooks. A
 * non-2xx answer throws, so BullMQ retries with backoff. The body holds ids, counts and reasons only.
 */
@Injectable()
export class DeliverAlertJob {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  @JobHandler('alerts.deliver')
  async run(payload: JobPayloads['alerts.deliver']): Promise<void> {
    const webhook = this.config.audit.securityWebhook;
    if (!webhook) return;
    const alert = await this.em.fork().findOneOrFail(Alert, { id: payload.alertId });
    const body = JSON.stringify({
      type: 'security.alert',
      timestamp: alert.raisedAt.toISOString(),
      data: {
        id: alert.id,
        type: alert.type,
        severity: alert.severity,
        subject: alert.subject,
        details: alert.details ?? {},
      },
    });
    // The id is stable across retries, so the receiver can deduplicate deliveries.
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...webhookHeaders(webhook.secret, `msg_${alert.id}`, this.clock.nowSeconds(), body),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`security webhook answered ${response.status}`);
  }
}
