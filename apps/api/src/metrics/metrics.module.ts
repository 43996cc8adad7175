import { Module } from '@nestjs/common';
import { DeliveriesModule, SyncHealthModule } from '@app/sync';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics-registry';
import { MetricsTokenGuard } from './metrics-token.guard';
import { OperationsMetrics } from './operations.metrics';
import { QueueStates } from './queue-states';
import { RequestMetrics } from './request-metrics';
import { SyncHealthMetrics } from './sync-health.metrics';

/** GET /metrics for an authorized scraper; collectors register into the exported MetricsRegistry. */
@Module({
  imports: [SyncHealthModule, DeliveriesModule],
  controllers: [MetricsController],
  providers: [
    MetricsRegistry,
    MetricsTokenGuard,
    SyncHealthMetrics,
    RequestMetrics,
    QueueStates,
    OperationsMetrics,
  ],
  exports: [MetricsRegistry, RequestMetrics],
})
export class MetricsModule {}
