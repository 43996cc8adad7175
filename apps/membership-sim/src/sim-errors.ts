import { DomainError } from '@app/common';

/** The feed or control API was called without its bearer token (or with another). */
export class SimUnauthorized extends DomainError {
  readonly type = 'unauthorized' as const;
  constructor(what: string) {
    super(`A valid bearer token for the ${what} is required.`);
  }
}

export class InvalidFeedCursor extends DomainError {
  readonly type = 'bad-request' as const;
  constructor() {
    super('The cursor is not one this feed gave out.');
  }
}

export class TargetNotConfigured extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super('Configure the target (PUT /sim/target) before sending webhooks, or generate with send: false.');
  }
}

export class GenerationInProgress extends DomainError {
  readonly type = 'conflict' as const;
  constructor(runId: string) {
    super('A generation run is in progress; wait for it to finish.');
    this.extensions.runId = runId;
  }
}

export class NothingToChange extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor() {
    super('There are no members to change: create some first (members > 0).');
  }
}

/** A delivery whose Standard Webhooks signature did not verify (the reason code only). */
export class DeliverySignatureRefused extends DomainError {
  readonly type = 'unauthorized' as const;
  constructor(reason: string) {
    super('The webhook signature did not verify.');
    this.extensions.reason = reason;
  }
}

export class InvalidDelivery extends DomainError {
  readonly type = 'validation-failed' as const;
  constructor(fields: string[]) {
    super(`Invalid fields: ${fields.join(', ')}`);
    this.extensions.errors = fields.map((field) => ({ field, rules: ['schema'] }));
  }
}
