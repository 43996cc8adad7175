import { SOURCE_STATUSES, type SyncHealthSnapshot } from '@app/sync';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The sync health series and their help text; names start `msync_` like every series of the service. */
export const SYNC_HEALTH_SERIES = {
  msync_sync_source_status: {
    help: 'A polled source state: 1 for its current status (syncing, done, failed, paused), 0 for the others',
    labelNames: ['source_id', 'status'],
  },
  msync_sync_source_lag_seconds: {
    help: 'Seconds since the source change feed was last read to its end (absent before the first time)',
    labelNames: ['source_id'],
  },
  msync_sync_source_last_success_timestamp_seconds: {
    help: 'When the source change feed was last read to its end (Unix seconds)',
    labelNames: ['source_id'],
  },
  msync_reconciliation_cases_open: {
    help: "Open reconciliation cases opened by changes of the source's partner",
    labelNames: ['source_id'],
  },
  msync_delivery_dead_letters: {
    help: 'Deliveries to the webhook subscription that failed their last attempt (replayable)',
    labelNames: ['subscription_id'],
  },
  msync_webhook_subscription_active: {
    help: 'A webhook subscription is active (1) or disabled (0, for 410 Gone or a failing endpoint)',
    labelNames: ['subscription_id'],
  },
  msync_webhook_subscription_lag_seconds: {
    help: 'Age in seconds of the oldest change still waiting to be delivered to the subscription (0 when none)',
    labelNames: ['subscription_id'],
  },
  msync_webhook_subscription_last_success_timestamp_seconds: {
    help: 'When the subscription endpoint last answered 2xx (Unix seconds)',
    labelNames: ['subscription_id'],
  },
  msync_webhook_subscription_pending_deliveries: {
    help: 'Changes waiting to be delivered to the subscription (queued, running or between retries)',
    labelNames: ['subscription_id'],
  },
} as const satisfies Record<string, { help: string; labelNames: readonly string[] }>;

export type SyncHealthSeriesName = keyof typeof SYNC_HEALTH_SERIES;

/**
 * The samples of every sync health series for one snapshot. Labels are opaque ids and enum values
 * only; a time nobody recorded yet is left out rather than reported as 0 (1970).
 */
export function syncHealthSamples(snapshot: SyncHealthSnapshot): Record<SyncHealthSeriesName, Sample[]> {
  const samples: Record<SyncHealthSeriesName, Sample[]> = {
    msync_sync_source_status: [],
    msync_sync_source_lag_seconds: [],
    msync_sync_source_last_success_timestamp_seconds: [],
    msync_reconciliation_cases_open: [],
    msync_delivery_dead_letters: [],
    msync_webhook_subscription_active: [],
    msync_webhook_subscription_lag_seconds: [],
    msync_webhook_subscription_last_success_timestamp_seconds: [],
    msync_webhook_subscription_pending_deliveries: [],
  };
  for (const source of snapshot.sources) {
    const labels = { source_id: source.id };
    for (const status of SOURCE_STATUSES)
      samples.msync_sync_source_status.push({
        labels: { ...labels, status },
        value: source.status === status ? 1 : 0,
      });
    if (source.lagSeconds !== null)
      samples.msync_sync_source_lag_seconds.push({ labels, value: source.lagSeconds });
    if (source.lastSuccessAt)
      samples.msync_sync_source_last_success_timestamp_seconds.push({
        labels,
        value: source.lastSuccessAt.getTime() / 1000,
      });
    samples.msync_reconciliation_cases_open.push({ labels, value: source.openCases });
  }
  for (const subscription of snapshot.subscriptions) {
    const labels = { subscription_id: subscription.id };
    samples.msync_webhook_subscription_active.push({
      labels,
      value: subscription.status === 'active' ? 1 : 0,
    });
    samples.msync_delivery_dead_letters.push({ labels, value: subscription.deadLetters });
    samples.msync_webhook_subscription_lag_seconds.push({ labels, value: subscription.lagSeconds });
    samples.msync_webhook_subscription_pending_deliveries.push({
      labels,
      value: subscription.pendingDeliveries,
    });
    if (subscription.lastSuccessAt)
      samples.msync_webhook_subscription_last_success_timestamp_seconds.push({
        labels,
        value: Date.parse(subscription.lastSuccessAt) / 1000,
      });
  }
  return samples;
}
