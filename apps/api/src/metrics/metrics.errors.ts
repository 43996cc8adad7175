import { DomainError } from '@app/common';

/**
 * 404 when no scraper token is configured: answered like a route that does not exist (no detail),
 * so an unconfigured install does not even tell that it could serve metrics.
 */
export class MetricsNotEnabled extends DomainError {
  readonly type = 'not-found' as const;
  constructor() {
    super('');
  }
}
