import { DomainError } from '@app/common';

export class BaaRequired extends DomainError {
  readonly type = 'baa-required' as const;
  constructor() {
    super("The partner's vendor has no Business Associate Agreement in effect.");
  }
}

/** A ciphertext failed to decrypt: tampering, a row moved, or a destroyed key. No data is returned. */
export class IntegrityViolation extends DomainError {
  readonly type = 'integrity-violation' as const;
  constructor() {
    super('The member record failed an integrity check; no data was returned and security was alerted.');
  }
}

export class MemberAlreadyExists extends DomainError {
  readonly type = 'conflict' as const;
  constructor(existingId: string) {
    super('A member with this sourceRef exists.');
    this.extensions.id = existingId;
  }
}

export class VersionMismatch extends DomainError {
  readonly type = 'precondition-failed' as const;
  constructor() {
    super('If-Match does not match the current ETag; read the member again.');
  }
}

export class IfMatchRequired extends DomainError {
  readonly type = 'precondition-required' as const;
  constructor() {
    super('Send If-Match with the ETag of the version you are changing.');
  }
}

export class InvalidCursor extends DomainError {
  readonly type = 'bad-request' as const;
  constructor() {
    super('The cursor is invalid or does not belong to this query.');
  }
}
