import { DomainError } from '@app/common';

/** 409: a case is decided once. */
export class CaseAlreadyResolved extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super('The reconciliation case is already resolved.');
  }
}

/** 409: the member's data key was replaced (re-encryption) since the case opened; decide with a new value. */
export class ProposalUnreadable extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super("The member's data key changed since the case opened; resolve with keep_ours or new_value.");
  }
}
