import { DomainError } from '@app/common';

/** 401. `reason` is a stable code for the audit trail; the client only learns that it failed. */
export class AuthenticationFailed extends DomainError {
  readonly type = 'unauthorized' as const;
  constructor(readonly reason: string) {
    super('Authentication failed.');
  }
}

/** 403. */
export class AccessDenied extends DomainError {
  readonly type = 'forbidden' as const;
  constructor(
    readonly reason: string,
    detail = 'The caller may not perform this action.',
  ) {
    super(detail);
  }
}

export class ResourceNotFound extends DomainError {
  readonly type = 'not-found' as const;
  constructor(what: string) {
    super(`No ${what} with that id.`);
  }
}

export class InvalidRegistration extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor(detail: string) {
    super(detail);
  }
}

export class Conflict extends DomainError {
  readonly type = 'conflict' as const;
  constructor(detail: string) {
    super(detail);
  }
}
