import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxRelay, RELAY_BATCH_SIZE } from './outbox-relay.service';
import { DeliveryQueueUnavailable } from './outbox.errors';

/** The idle poll: a committed change waits at most this long (plus one batch) before it is queued. */
export const RELAY_POLL_MS = 250;
/** After failures the loop backs off from 1 s, doubling, up to this. */
export const RELAY_MAX_BACKOFF_MS = 30_000;
/** Batches per pass, so a backlog is worked through in passes that shutdown can wait for. */
export const RELAY_BATCHES_PER_PASS = 20;

/** When the next pass runs: at once while a backlog remains, after the poll when idle, backing off after failures. */
export function relayDelayMs(consecutiveFailures: number, backlog: boolean): number {
  if (consecutiveFailures > 0) return Math.min(1000 * 2 ** (consecutiveFailures - 1), RELAY_MAX_BACKOFF_MS);
  return backlog ? 0 : RELAY_POLL_MS;
}

/**
 * The worker's relay loop. It polls rather than LISTENs: a NOTIFY in every member change would
 * serialize their commits on Postgres' notification queue lock, the hot path's largest cost. A
 * failed pass is logged (error class only) and retried with backoff; its rows stay unrelayed.
 */
@Injectable()
export class OutboxRelayLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private failures = 0;

  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass();
    }, ms);
    // The worker's BullMQ connections keep the process alive; this timer must not hold up its exit.
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    let backlog = false;
    try {
      const relayed = await this.relay.relayPending({ maxBatches: RELAY_BATCHES_PER_PASS });
      backlog = relayed === RELAY_BATCHES_PER_PASS * RELAY_BATCH_SIZE;
      if (this.failures > 0)
        this.logger.log({ relayed, failedPasses: this.failures }, 'outbox relay recovered');
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      this.logger.warn(
        {
          error: (error as Error).name,
          reason: error instanceof DeliveryQueueUnavailable ? error.reason : undefined,
          failedPasses: this.failures,
        },
        'outbox relay failed; its rows stay unrelayed for the next pass',
      );
    }
    this.schedule(relayDelayMs(this.failures, backlog));
  }
}
