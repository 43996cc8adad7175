import type { AppConfig, QueueName } from '@app/common';

/**
 * How many jobs of a queue one worker process runs at once. Deliveries mostly wait on partners'
 * endpoints, so they run side by side (DELIVERY_CONCURRENCY). Every other queue runs one at a time:
 * polling relies on it (source-poller has no lock; only its cursor compare-and-set and event-id
 * dedupe make an overlapping run harmless), and key rotation, checkpoints and sweeps expect it.
 */
export function queueConcurrency(queue: QueueName, deliveries: AppConfig['deliveries']): number {
  return queue === 'deliveries' ? deliveries.concurrency : 1;
}
