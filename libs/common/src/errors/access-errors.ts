import { DomainError } from './domain-error';

/** 403. `reason` is a stable code for the audit trail; the client only learns what it may not do. */
export class AccessDenied extends DomainError {
  readonly type = 'forbidden' as const;
  constructor(
    readonly reason: string,
    detail = 'The caller may not perform this action.',
  ) {
    super(detail);
  }
}

/** 404, for a missing resource and for one the caller may not see alike. */
export class ResourceNotFound extends DomainError {
  readonly type = 'not-found' as const;
  constructor(what: string) {
    super(`No ${what} with that id.`);
  }
}
