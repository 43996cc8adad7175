import { Controller, Get, Header, UseGuards, VERSION_NEUTRAL } from '@nestjs/common';
import {
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from '@app/common';
import { MetricsRegistry } from './metrics-registry';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Outside /api/v1 like the health probes; not a partner or admin route: the scraper's own token. */
@ApiTags('ops')
@Public()
@UseGuards(MetricsTokenGuard)
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary:
      'Prometheus metrics: requests, queues, deliveries, audit chain, alerts, sync health, process (docs/operations.md)',
  })
  @ApiHeader({ name: 'authorization', required: true, description: '`Bearer <METRICS_TOKEN>`' })
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ description: 'the token is missing or wrong' })
  @ApiNotFoundResponse({ description: 'no scraper token is configured' })
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
