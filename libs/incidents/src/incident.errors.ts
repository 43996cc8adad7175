import { DomainError } from '@app/common';

/** 422: a window that ends before it starts, or a discovery in the future. */
export class InvalidIncidentDates extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor(detail: string) {
    super(detail);
  }
}

/** 422: the incident names a client that was never registered (an empty affected list would mislead). */
export class UnknownIncidentClient extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor() {
    super('clientId does not name a registered client.');
  }
}

/** 409: containment needs the compromised client the incident names. */
export class NoClientToContain extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super('The incident names no client to contain.');
  }
}

/** 409: letters need the notice's contact procedures and what we are doing (PUT .../notification). */
export class NotificationNotRecorded extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super('Record the notification details (PUT .../notification) before generating letters.');
  }
}
