import { DomainError } from '@app/common';

export class ConsentNotFound extends DomainError {
  readonly type = 'not-found' as const;
  constructor() {
    super('No consent with that id.');
  }
}

/** A consent that could never take effect (see `consentRefusal`): 422 with the reason, never a value. */
export class ConsentRefused extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor(reason: string) {
    super(reason);
  }
}
