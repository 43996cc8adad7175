import { Module } from '@nestjs/common';
import { SyncHealthModule } from '@app/sync';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics-registry';
import { MetricsTokenGuard } from './metrics-token.guard';
import { SyncHealthMetrics } from './sync-health.metrics';

/** GET /metrics for an authorized scraper; collectors register into the exported MetricsRegistry. */
@Module({
  imports: [SyncHealthModule],
  controllers: [MetricsController],
  providers: [MetricsRegistry, MetricsTokenGuard, SyncHealthMetrics],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
