import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Alert } from '@app/audit';
import { AppConfig, Clock, JobHandler, type JobPayloads } from '@app/common';

/**
 * POSTs a security alert to the configured security webhook, signed per Standard Webhooks
 * (HMAC-SHA256 over id.timestamp.body, node:crypto). A non-2xx answer throws, so BullMQ retries
 * with backoff. The body holds ids, counts and reasons only.
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
    // Stable across retries, so the receiver can deduplicate deliveries.
    const id = `msg_${alert.id}`;
    const timestamp = String(this.clock.nowSeconds());
    const secret = Buffer.from(webhook.secret.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64');
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${signature}`,
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`security webhook answered ${response.status}`);
  }
}
