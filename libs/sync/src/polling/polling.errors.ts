import { DomainError } from '@app/common';

/** 422: only a membership system has a change feed we apply (its side owns the fields it sends). */
export class SourceNotAllowed extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor() {
    super('Only a partner of type membership_system can be registered as a polled source.');
  }
}

/** 409: one backfill per source at a time; its progress is at GET …/backfill. */
export class BackfillRunning extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super('A backfill of this source is running; follow it at GET /api/v1/admin/sources/{id}/backfill.');
  }
}
