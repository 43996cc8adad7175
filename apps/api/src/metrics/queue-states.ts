import { Injectable } from '@nestjs/common';
import { JobQueues, QUEUE_NAMES, type QueueName } from '@app/common';
import { oldestWaitingAgeSeconds, QUEUE_JOB_STATES, type QueueState } from './operations-series';

/** Redis is not connected for a queue: its counts are not asked (they would wait for a reconnect). */
export class QueueRedisNotReady extends Error {
  override readonly name = 'QueueRedisNotReady';
}

/**
 * Depth and age of every queue, read from BullMQ at scrape time: per queue one count of its states,
 * the paused flag and the oldest waiting job (one job), so a scrape's Redis work does not grow with
 * the queues' length.
 */
@Injectable()
export class QueueStates {
  constructor(private readonly jobs: JobQueues) {}

  all(nowMs: number): Promise<QueueState[]> {
    return Promise.all(QUEUE_NAMES.map((name) => this.stateOf(name, nowMs)));
  }

  private async stateOf(name: QueueName, nowMs: number): Promise<QueueState> {
    const queue = this.jobs.queue(name);
    // BullMQ's connection waits for Redis without bound: while it is down, nothing is queued up.
    if ((await queue.getBackend().client).status !== 'ready') throw new QueueRedisNotReady(name);
    const [counts, paused, [oldest]] = await Promise.all([
      queue.getJobCounts(...QUEUE_JOB_STATES),
      queue.isPaused(),
      queue.getWaiting(0, 0),
    ]);
    return {
      queue: name,
      counts: Object.fromEntries(
        QUEUE_JOB_STATES.map((state) => [state, counts[state] ?? 0]),
      ) as QueueState['counts'],
      paused,
      oldestWaitingAgeSeconds: oldestWaitingAgeSeconds(oldest, nowMs),
    };
  }
}
