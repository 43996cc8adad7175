import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The registry GET /metrics serves: Node's process metrics plus every collector registered into
 * it (sync health now; request and queue series join it the same way). Its own registry, not
 * prom-client's global one, so two applications in one process (tests) never collide.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Every series in Prometheus' text format, gathered now. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
