import { Inject, Injectable, Optional } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock, JobHandler, type JobPayloads } from '@app/common';
import { webhookHeaders } from '@app/crypto';
import { Alert } from '../alert.entity';
import { AlertsService } from '../alerts.service';
import { SINK_GATE, unregisteredSinkGate, type SinkGate } from '../sink-gate';

/** One `sink_without_baa` alert a day while alerts are held back from the SIEM. */
const SINK_ALERT_DEDUPE_MS = 24 * 3_600_000;

/** Thrown, so BullMQ retries: the alert stays stored and queued until the SIEM's BAA is in effect. */
export class SiemWithoutBaa extends Error {
  override readonly name = 'SiemWithoutBaa';
}

/**
 * POSTs a security alert to the configured security webhook, signed per Standard Webhooks. A
 * non-2xx answer throws, so BullMQ retries with backoff. The body holds ids, counts and reasons only.
 * The SIEM is a subprocessor: while its vendor (SIEM_VENDOR_ID) has no BAA in effect nothing is
 * sent; the attempt throws (retried later, never dropped) and `sink_without_baa` is raised.
 */
@Injectable()
export class DeliverAlertJob {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly alerts: AlertsService,
    // Provided by the vendor registry in the worker; audit never imports it.
    @Optional() @Inject(SINK_GATE) private readonly sinkGate?: SinkGate,
  ) {}

  @JobHandler('alerts.deliver')
  async run(payload: JobPayloads['alerts.deliver']): Promise<void> {
    const webhook = this.config.audit.securityWebhook;
    if (!webhook) return;
    if (!(await (this.sinkGate ?? unregisteredSinkGate(this.config)).inEffect('siem'))) {
      await this.alerts.raise(
        'sink_without_baa',
        'critical',
        'sink:siem',
        { sink: 'siem', vendorId: this.config.subprocessors.siemVendorId ?? null },
        SINK_ALERT_DEDUPE_MS,
      );
      throw new SiemWithoutBaa('the SIEM vendor has no BAA in effect; alert delivery held back');
    }
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
