import { DomainError } from '@app/common';
import type { RightsRequestAction, RightsRequestKind, RightsRequestStatus } from './rights-request-state';

/** 409: the request's kind and status do not allow this action (names the three, no values). */
export class RightsRequestTransitionRefused extends DomainError {
  readonly type = 'rights-request-transition' as const;
  constructor(
    kind: RightsRequestKind,
    status: RightsRequestStatus,
    action: RightsRequestAction | 'extend_again',
  ) {
    super(
      action === 'extend_again'
        ? 'The request was already extended once; the rules allow one 30-day extension.'
        : `A ${kind} request in status ${status} does not allow ${action}.`,
    );
    Object.assign(this.extensions, { kind, status, action });
  }
}

/** 409: a member under an active legal hold is not deleted, by a rights request or a partner alike. */
export class LegalHoldActive extends DomainError {
  readonly type = 'legal-hold' as const;
  constructor(holdIds: string[]) {
    super('The member is under a legal hold; release the hold before deleting.');
    this.extensions.holdIds = holdIds;
  }
}

/** 410: an export link serves one download, within its 15 minutes. */
export class ExportLinkGone extends DomainError {
  readonly type = 'export-link-gone' as const;
  constructor() {
    super('This export link was already used or has expired.');
  }
}

/** 409: a re-encryption replaced the member's data key since the amendment was received. */
export class AmendmentUnreadable extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super(
      "The member's data key changed since the amendment was received; deny it and record a new request.",
    );
  }
}
