import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { AlertsService, CheckpointsService } from '@app/audit';
import { Clock } from '@app/common';
import { DeliveryOutcomes } from '@app/sync';
import { MetricsRegistry } from './metrics-registry';
import {
  OPERATIONS_SERIES,
  operationsSamples,
  PART_UP_SERIES,
  type OperationsPart,
  type OperationsSeriesName,
  type OperationsSnapshot,
} from './operations-series';
import { QueueStates } from './queue-states';
import { sharedWhileRunning } from './shared-while-running';
import { timeBound } from './time-bound';

/** How long a scrape waits for each part (PostgreSQL or Redis) before leaving it out. */
export const SCRAPE_PART_TIMEOUT_MS = 2_500;

/**
 * Queue depth and age, delivery outcomes, audit chain and checkpoint ages, alert counts: the same
 * for the whole install from any API process, gathered at scrape time into one snapshot that every
 * series of the scrape reads. Each part is read on its own, bounded in time; one that fails or is
 * late is left out and its `*_up` gauge is 0, while every other series is still served.
 */
@Injectable()
export class OperationsMetrics implements OnModuleInit {
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly queues: QueueStates,
    private readonly deliveryOutcomes: DeliveryOutcomes,
    private readonly checkpoints: CheckpointsService,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const snapshot = sharedWhileRunning(() => this.snapshot());
    for (const part of Object.keys(PART_UP_SERIES) as OperationsPart[]) {
      const up: Gauge = new Gauge({
        name: PART_UP_SERIES[part].name,
        help: PART_UP_SERIES[part].help,
        registers,
        collect: async (): Promise<void> => up.set((await snapshot())[part] === null ? 0 : 1),
      });
    }
    const samples = sharedWhileRunning(async () => operationsSamples(await snapshot()));
    for (const name of Object.keys(OPERATIONS_SERIES) as OperationsSeriesName[]) {
      const { type, help, labelNames } = OPERATIONS_SERIES[name];
      const options = { name, help, labelNames: [...labelNames] as string[], registers };
      if (type === 'counter') {
        const counter: Counter<string> = new Counter({
          ...options,
          collect: async (): Promise<void> => {
            const current = await samples();
            // Totals live in Redis: this scrape reports them as they are there.
            counter.reset();
            for (const sample of current[name]) counter.inc(sample.labels, sample.value);
          },
        });
      } else {
        const gauge: Gauge<string> = new Gauge({
          ...options,
          collect: async (): Promise<void> => {
            const current = await samples();
            gauge.reset();
            // A gauge without labels comes back from reset as 0: an age nobody knows is left out instead.
            if (labelNames.length === 0) gauge.remove({});
            for (const sample of current[name]) gauge.set(sample.labels, sample.value);
          },
        });
      }
    }
  }

  private async snapshot(): Promise<OperationsSnapshot> {
    // Queue jobs are stamped by BullMQ on the system clock; audit rows and alerts on ours.
    const systemNowMs = Date.now();
    const [queues, deliveryOutcomes, audit, alerts] = await Promise.all([
      this.part('queues', () => this.queues.all(systemNowMs)),
      this.part('deliveryOutcomes', () => this.deliveryOutcomes.totals()),
      this.part('audit', () => this.checkpoints.chainStatus()),
      this.part('alerts', () => this.alerts.counts()),
    ]);
    return { nowMs: this.clock.nowMs(), queues, deliveryOutcomes, audit, alerts };
  }

  private async part<T>(part: OperationsPart, read: () => Promise<T>): Promise<T | null> {
    try {
      return await timeBound(read(), SCRAPE_PART_TIMEOUT_MS);
    } catch (error) {
      // The error's name only: a driver message could quote a statement.
      this.logger.warn(
        { part, error: error instanceof Error ? error.name : 'unknown' },
        'metrics part not gathered',
      );
      return null;
    }
  }
}
