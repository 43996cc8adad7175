import { DomainError } from '@app/common';

/** 401. `reason` is a stable code for the audit trail; the client only learns that it failed. */
export class AuthenticationFailed extends DomainError {
  readonly type = 'unauthorized' as const;
  constructor(readonly reason: string) {
    super('Authentication failed.');
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
