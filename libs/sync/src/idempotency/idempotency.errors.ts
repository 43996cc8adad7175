import { DomainError } from '@app/common';

export class IdempotencyKeyInvalid extends DomainError {
  readonly type = 'idempotency-key-invalid' as const;
  constructor() {
    super('Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
}

/** The first request under this key is still executing; the answer carries Retry-After. */
export class IdempotencyKeyInUse extends DomainError {
  readonly type = 'idempotency-key-in-use' as const;
  constructor() {
    super('A request with this Idempotency-Key is still being processed. Retry shortly.');
  }
}

export class IdempotencyKeyReused extends DomainError {
  readonly type = 'idempotency-key-reused' as const;
  constructor() {
    super('This Idempotency-Key was used with another method, route or body. Use a new key.');
  }
}
