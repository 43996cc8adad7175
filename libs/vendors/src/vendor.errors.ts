import { DomainError } from '@app/common';

export class VendorNotFound extends DomainError {
  readonly type = 'not-found' as const;
  constructor() {
    super('No vendor with that id.');
  }
}

export class IncompleteBaa extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor(reason: string) {
    super(reason);
  }
}

export class BaaTerminated extends DomainError {
  readonly type = 'baa-terminated' as const;
  constructor() {
    super('The BAA is terminated; a terminated BAA is final. Register a new vendor for a new agreement.');
  }
}

export class BaaTransitionInvalid extends DomainError {
  readonly type = 'baa-transition-invalid' as const;
  constructor(detail: string) {
    super(detail);
  }
}

export class BaaVersionMismatch extends DomainError {
  readonly type = 'precondition-failed' as const;
  constructor() {
    super('If-Match does not match the current BAA version; read the vendor again.');
  }
}
