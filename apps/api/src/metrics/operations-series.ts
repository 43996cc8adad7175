import type { AlertStatus, AlertType, AuditChainStatus } from '@app/audit';
import type { QueueName } from '@app/common';
import type { DeliveryOutcomeLabel } from '@app/sync';
import type { Sample } from './sync-health-series';

/** The job states counted per queue (the service uses no flows, so no `waiting-children`). */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

export interface QueueState {
  queue: QueueName;
  counts: Record<QueueJobState, number>;
  paused: boolean;
  oldestWaitingAgeSeconds: number;
}

/** What one scrape reads for the operations series; a part that could not be read is null. */
export interface OperationsSnapshot {
  nowMs: number;
  queues: QueueState[] | null;
  deliveryOutcomes: Record<DeliveryOutcomeLabel, number> | null;
  audit: AuditChainStatus | null;
  alerts: Array<{ type: AlertType; status: AlertStatus; count: number }> | null;
}

export type OperationsPart = 'queues' | 'deliveryOutcomes' | 'audit' | 'alerts';

/** Each part's `*_up` gauge: 1 when it was read, 0 when PostgreSQL or Redis did not answer in time. */
export const PART_UP_SERIES: Record<OperationsPart, { name: string; help: string }> = {
  queues: {
    name: 'msync_queues_up',
    help: 'The queue series could be gathered (1) or Redis did not answer in time (0)',
  },
  deliveryOutcomes: {
    name: 'msync_delivery_outcomes_up',
    help: 'The delivery outcome totals could be read (1) or Redis did not answer in time (0)',
  },
  audit: {
    name: 'msync_audit_up',
    help: 'The audit chain series could be gathered (1) or PostgreSQL did not answer in time (0)',
  },
  alerts: {
    name: 'msync_alerts_up',
    help: 'The alert counts could be gathered (1) or PostgreSQL did not answer in time (0)',
  },
};

/** The operations series; all names start `msync_`, every label value is an enum value. */
export const OPERATIONS_SERIES = {
  msync_queue_jobs: {
    type: 'gauge',
    help: 'Jobs in a queue by state (waiting, active, delayed, prioritized, failed), install-wide',
    labelNames: ['queue', 'state'],
  },
  msync_queue_paused: {
    type: 'gauge',
    help: 'The queue is paused (1): its waiting jobs are not picked up',
    labelNames: ['queue'],
  },
  msync_queue_oldest_waiting_age_seconds: {
    type: 'gauge',
    help: 'Seconds the oldest waiting job of the queue has been runnable (0 when none waits)',
    labelNames: ['queue'],
  },
  msync_delivery_outcomes_total: {
    type: 'counter',
    help: 'Outbound delivery attempts by outcome, install-wide, counted by the workers',
    labelNames: ['outcome'],
  },
  msync_audit_chain_head_age_seconds: {
    type: 'gauge',
    help: 'Seconds since the newest audit event (absent before the first)',
    labelNames: [],
  },
  msync_audit_checkpoint_age_seconds: {
    type: 'gauge',
    help: 'Seconds since the newest signed audit checkpoint (absent before the first)',
    labelNames: [],
  },
  msync_audit_events_since_checkpoint: {
    type: 'gauge',
    help: 'Audit events appended after the newest signed checkpoint (not yet covered by a signature)',
    labelNames: [],
  },
  msync_alerts: {
    type: 'gauge',
    help: 'Security alerts by type and status (open, acknowledged)',
    labelNames: ['type', 'status'],
  },
} as const satisfies Record<
  string,
  { type: 'gauge' | 'counter'; help: string; labelNames: readonly string[] }
>;

export type OperationsSeriesName = keyof typeof OPERATIONS_SERIES;

/**
 * Seconds the job has been runnable: since it was added, or since its delay ended. A job that went
 * back to waiting after a failed attempt counts from when it was first runnable (BullMQ keeps no
 * later time on the job); absent job, 0.
 */
export function oldestWaitingAgeSeconds(
  job: { timestamp: number; delay?: number } | undefined,
  nowMs: number,
): number {
  if (!job) return 0;
  return Math.max(0, (nowMs - job.timestamp - (job.delay ?? 0)) / 1000);
}

/** The samples of every operations series for one snapshot; a part not read gives no samples. */
export function operationsSamples(snapshot: OperationsSnapshot): Record<OperationsSeriesName, Sample[]> {
  const samples: Record<OperationsSeriesName, Sample[]> = {
    msync_queue_jobs: [],
    msync_queue_paused: [],
    msync_queue_oldest_waiting_age_seconds: [],
    msync_delivery_outcomes_total: [],
    msync_audit_chain_head_age_seconds: [],
    msync_audit_checkpoint_age_seconds: [],
    msync_audit_events_since_checkpoint: [],
    msync_alerts: [],
  };
  for (const state of snapshot.queues ?? []) {
    const labels = { queue: state.queue };
    for (const job of QUEUE_JOB_STATES)
      samples.msync_queue_jobs.push({ labels: { ...labels, state: job }, value: state.counts[job] });
    samples.msync_queue_paused.push({ labels, value: state.paused ? 1 : 0 });
    samples.msync_queue_oldest_waiting_age_seconds.push({ labels, value: state.oldestWaitingAgeSeconds });
  }
  for (const [outcome, value] of Object.entries(snapshot.deliveryOutcomes ?? {}))
    samples.msync_delivery_outcomes_total.push({ labels: { outcome }, value });
  const audit = snapshot.audit;
  if (audit) {
    const ageOf = (at: Date) => Math.max(0, (snapshot.nowMs - at.getTime()) / 1000);
    if (audit.headAt)
      samples.msync_audit_chain_head_age_seconds.push({ labels: {}, value: ageOf(audit.headAt) });
    if (audit.checkpointAt)
      samples.msync_audit_checkpoint_age_seconds.push({ labels: {}, value: ageOf(audit.checkpointAt) });
    samples.msync_audit_events_since_checkpoint.push({
      labels: {},
      value: Math.max(0, audit.headSeq - (audit.checkpointSeq ?? 0)),
    });
  }
  for (const { type, status, count } of snapshot.alerts ?? [])
    samples.msync_alerts.push({ labels: { type, status }, value: count });
  return samples;
}
