import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { redisOptions } from '../redis/redis-connection';
import { JOBS, QUEUE_NAMES, type JobName, type JobPayloads, type QueueName } from './job-catalog';

const QUEUE_ERROR_LOG_INTERVAL_MS = 30_000;

/** Producer side: enqueue a job by name with an id that deduplicates retries of the same request. */
@Injectable()
export class JobQueues implements OnApplicationShutdown {
  private readonly logger = new Logger('JobQueues');
  private readonly queues = new Map<QueueName, Queue>();
  private readonly declaredSchedules = new Map<JobName, { payload: unknown; everyMs: number }>();

  constructor(private readonly config: AppConfig) {}

  /** `{prefix}` keeps every key of a queue in one Redis Cluster hash slot. */
  static prefix(config: AppConfig): string {
    return `{${config.redis.keyPrefix}}`;
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: redisOptions(this.config.redis),
        prefix: JobQueues.prefix(this.config),
      });
      // Without a listener BullMQ prints every Redis connection error to stderr, past the redacted
      // logger (one line per reconnect during an outage). The caller of an enqueue sees the error
      // itself; the connection error is logged by class, once in a while.
      let lastLogMs = 0;
      queue.on('error', (error: Error & { code?: unknown }) => {
        const nowMs = Date.now();
        if (nowMs - lastLogMs < QUEUE_ERROR_LOG_INTERVAL_MS) return;
        lastLogMs = nowMs;
        const code = typeof error.code === 'string' ? error.code : undefined;
        this.logger.warn(
          { queue: name, error: error.name, code },
          'queue connection error; BullMQ reconnects',
        );
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  all(): Queue[] {
    return QUEUE_NAMES.map((name) => this.queue(name));
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string): Promise<void> {
    await this.queue(JOBS[name].queue).add(name, payload, {
      jobId,
      attempts: JOBS[name].attempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: false,
    });
  }

  /**
   * A repeating job (one schedule per name, whatever the number of processes that declare it). The
   * declaration is remembered, so `reassertSchedules` can put back a schedule someone removed.
   */
  async schedule<N extends JobName>(name: N, payload: JobPayloads[N], everyMs: number): Promise<void> {
    this.declaredSchedules.set(name, { payload, everyMs });
    await this.upsertSchedule(name, payload, everyMs);
  }

  /**
   * Upserts every schedule this process declared (an unchanged upsert keeps the next run as it
   * is) and answers the names that had gone missing from Redis.
   */
  async reassertSchedules(): Promise<JobName[]> {
    const restored: JobName[] = [];
    for (const [name, { payload, everyMs }] of this.declaredSchedules) {
      const queue = this.queue(JOBS[name].queue);
      if (!(await queue.getJobScheduler(JobQueues.scheduleId(name)))) restored.push(name);
      await this.upsertSchedule(name, payload, everyMs);
    }
    return restored;
  }

  static scheduleId(name: JobName): string {
    return `schedule:${name}`;
  }

  private async upsertSchedule(name: JobName, payload: unknown, everyMs: number): Promise<void> {
    await this.queue(JOBS[name].queue).upsertJobScheduler(
      JobQueues.scheduleId(name),
      { every: everyMs },
      {
        name,
        data: payload,
        opts: {
          attempts: JOBS[name].attempts,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: 100,
          removeOnFail: 1000,
        },
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
