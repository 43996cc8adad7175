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
