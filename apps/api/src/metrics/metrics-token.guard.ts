import { readFileSync } from 'node:fs';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '@app/common';
import { AuthenticationFailed } from '@app/identity';
import { MetricsNotEnabled } from './metrics.errors';
import { bearerMatches, metricsTokenDigest } from './metrics-token';

/**
 * Lets an authorized scraper in: `Authorization: Bearer <METRICS_TOKEN>` (or the file's token, read
 * at boot, so a missing file stops the boot). No token configured: 404; a missing or wrong one: 401.
 * Runs after the global guard, so the per-IP rate limit already bounds guessing.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly digest: Buffer | null;

  constructor(config: AppConfig) {
    const token = config.metrics.token;
    this.digest = token
      ? metricsTokenDigest('value' in token ? token.value : readFileSync(token.file, 'utf8'))
      : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.digest) throw new MetricsNotEnabled();
    const { headers } = context.switchToHttp().getRequest<FastifyRequest>();
    if (!bearerMatches(headers.authorization, this.digest)) throw new AuthenticationFailed('metrics_token');
    return true;
  }
}
