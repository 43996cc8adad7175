import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Worker } from 'bullmq';
import {
  AppConfig,
  handlerProblems,
  JOB_HANDLER_KEY,
  JobQueues,
  jobsOf,
  QUEUE_NAMES,
  redisOptions,
  type JobContext,
  type JobName,
} from '@app/common';
import { queueConcurrency } from './queue-concurrency';

type Handler = (payload: unknown, context: JobContext) => Promise<unknown>;

/** How often the worker puts back a schedule that was removed from Redis (e.g. from the dashboard). */
export const SCHEDULE_REASSERT_MS = 5 * 60 * 1000;
/** A worker's errors (e.g. Redis reconnects) are logged at most this often per queue. */
const WORKER_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Finds every @JobHandler, refuses to start unless each job of the catalog has exactly one, and
 * runs one BullMQ worker per queue (deliveries side by side, the rest one job at a time). On
 * shutdown the workers finish their running jobs first. Every few minutes it re-asserts the schedules this process declared, so none stays removed.
 */
@Injectable()
export class JobsRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly workers: Worker[] = [];
  private reassertTimer?: NodeJS.Timeout;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly jobs: JobQueues,
  ) {}

  onApplicationBootstrap(): void {
    const handlers = this.discoverHandlers();
    const problems = handlerProblems(handlers.map(([name]) => name));
    if (problems.missing.length || problems.duplicated.length || problems.unknown.length) {
      throw new Error(
        `job handlers do not match the job catalog: missing [${problems.missing.join(', ')}], ` +
          `duplicated [${problems.duplicated.join(', ')}], unknown [${problems.unknown.join(', ')}]`,
      );
    }
    const byName = new Map(handlers);
    for (const queue of QUEUE_NAMES) {
      const worker = new Worker(
        queue,
        async (job) => {
          const handler = byName.get(job.name as JobName);
          if (!handler || !jobsOf(queue).includes(job.name as JobName))
            throw new Error(`no handler for job ${job.name}`);
          return handler(job.data, {
            jobId: job.id ?? 'unknown',
            attempt: job.attemptsMade + 1,
            final: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
            progress: (percent) => job.updateProgress(percent),
          });
        },
        {
          connection: redisOptions(this.config.redis),
          prefix: JobQueues.prefix(this.config),
          concurrency: queueConcurrency(queue, this.config.deliveries),
          // Every handler is safe to run again (ids dedupe, cursors move by compare-and-set): a job
          // orphaned by a worker crash or a Redis outage is retried up to three times, not failed at once.
          maxStalledCount: 3,
        },
      );
      // Failures are retried by BullMQ; the log line carries ids and the error class only.
      worker.on('failed', (job, error) =>
        this.logger.warn({ jobId: job?.id, job: job?.name, error: error.name }, 'job attempt failed'),
      );
      // Without a listener BullMQ prints every Redis connection error to stderr, past the redacted
      // logger; during an outage that is one line per reconnect. Log the class, once in a while.
      let lastErrorLogMs = 0;
      worker.on('error', (error: Error & { code?: unknown }) => {
        const nowMs = Date.now();
        if (nowMs - lastErrorLogMs < WORKER_ERROR_LOG_INTERVAL_MS) return;
        lastErrorLogMs = nowMs;
        const code = typeof error.code === 'string' ? error.code : undefined;
        this.logger.warn(
          { queue, error: error.name, code },
          'job worker error; BullMQ reconnects and resumes',
        );
      });
      this.workers.push(worker);
    }
    this.reassertTimer = setInterval(() => {
      this.reassertSchedules().catch((error: Error) =>
        this.logger.warn({ error: error.name }, 'job schedules could not be re-asserted'),
      );
    }, SCHEDULE_REASSERT_MS);
    this.reassertTimer.unref();
  }

  /** Puts back every schedule this worker declared that has gone missing, and says which. */
  async reassertSchedules(): Promise<JobName[]> {
    const restored = await this.jobs.reassertSchedules();
    if (restored.length > 0) this.logger.warn({ schedules: restored }, 'removed job schedules restored');
    return restored;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.reassertTimer);
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private discoverHandlers(): Array<[JobName, Handler]> {
    const found: Array<[JobName, Handler]> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = this.reflector.get<JobName | undefined>(JOB_HANDLER_KEY, fn as () => void);
        if (name) found.push([name, (fn as Handler).bind(instance)]);
      }
    }
    return found;
  }
}
