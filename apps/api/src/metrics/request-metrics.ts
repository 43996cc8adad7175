import { Injectable } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';
import {
  methodLabel,
  REQUEST_DURATION_BUCKETS,
  routeLabel,
  statusClass,
  type StatusClass,
} from './request-labels';

interface RouteSeries {
  duration: { observe(seconds: number): void };
  requests: Record<StatusClass, { inc(): void }>;
}

const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * Request rate and latency by route template, per process (every API replica is scraped on its
 * own). The labelled children of a route are made once and kept, so a request costs a map lookup,
 * one counter increment and one histogram observation.
 */
@Injectable()
export class RequestMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status_class'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly routes = new Map<string, RouteSeries>();

  constructor(metrics: MetricsRegistry) {
    this.requests = new Counter({
      name: 'msync_http_requests_total',
      help: 'HTTP requests answered by this process, by method, route template (`unmatched` when no route matched) and status class',
      labelNames: ['method', 'route', 'status_class'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: 'msync_http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its answer, by method and route template',
      labelNames: ['method', 'route'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [metrics.registry],
    });
  }

  /** Counts one answered request; `template` is the matched route's (undefined when none matched). */
  observe(method: string, template: string | undefined, status: number, seconds: number): void {
    const methodValue = methodLabel(method);
    const route = routeLabel(template);
    const key = `${methodValue} ${route}`;
    let series = this.routes.get(key);
    if (!series) {
      series = this.seriesOf(methodValue, route);
      this.routes.set(key, series);
    }
    series.requests[statusClass(status)].inc();
    series.duration.observe(seconds);
  }

  private seriesOf(method: string, route: string): RouteSeries {
    const requests = Object.fromEntries(
      STATUS_CLASSES.map((status_class) => [
        status_class,
        this.requests.labels({ method, route, status_class }),
      ]),
    ) as RouteSeries['requests'];
    return { duration: this.duration.labels({ method, route }), requests };
  }
}

/**
 * Measures every answer, whatever ended it (a route, a 404, a refusal): Fastify's onResponse runs
 * after the last byte, and `reply.elapsedTime` spans from routing to then. Only the route template
 * (`request.routeOptions.url`) is read, never the URL.
 */
export function recordRequestMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(RequestMetrics);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      metrics.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
}
