import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { SyncHealthService } from '@app/sync';
import { MetricsRegistry } from './metrics-registry';
import { sharedWhileRunning } from './shared-while-running';
import { SYNC_HEALTH_SERIES, syncHealthSamples, type SyncHealthSeriesName } from './sync-health-series';

/**
 * Sync health series, gathered at scrape time: every gauge's collect reads the same snapshot (one
 * per scrape). If Postgres or Redis does not answer, the sync series are left out and
 * `msync_sync_health_up` is 0, while the process series are still served.
 */
@Injectable()
export class SyncHealthMetrics implements OnModuleInit {
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly health: SyncHealthService,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const samples = sharedWhileRunning(() => this.samples());
    const up: Gauge = new Gauge({
      name: 'msync_sync_health_up',
      help: 'The sync health series could be gathered (1) or Postgres/Redis did not answer (0)',
      registers,
      collect: async (): Promise<void> => up.set((await samples()) ? 1 : 0),
    });
    for (const name of Object.keys(SYNC_HEALTH_SERIES) as SyncHealthSeriesName[]) {
      const gauge: Gauge<string> = new Gauge({
        name,
        help: SYNC_HEALTH_SERIES[name].help,
        labelNames: [...SYNC_HEALTH_SERIES[name].labelNames],
        registers,
        collect: async (): Promise<void> => {
          const current = await samples();
          // Sources and subscriptions come and go: only this scrape's samples are reported.
          gauge.reset();
          for (const sample of current?.[name] ?? []) gauge.set(sample.labels, sample.value);
        },
      });
    }
  }

  private async samples(): Promise<ReturnType<typeof syncHealthSamples> | null> {
    try {
      return syncHealthSamples(await this.health.snapshot());
    } catch (error) {
      // The error's name only: a driver message could quote a statement.
      this.logger.warn(
        { error: error instanceof Error ? error.name : 'unknown' },
        'sync health not gathered',
      );
      return null;
    }
  }
}
