import { DomainError } from '@app/common';
import type { WebhookRefusal } from '@app/crypto';

/** Why a signed request was refused: the Standard Webhooks refusals and ours. Audited, never sent. */
export type SignedRequestRefusal =
  WebhookRefusal | 'not_a_partner' | 'invalid_webhook_id' | 'no_active_secret';

const DETAIL: Record<SignedRequestRefusal, string> = {
  not_a_partner: 'Only a partner integration can send signed requests.',
  missing_headers: 'Send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks).',
  invalid_webhook_id: 'webhook-id must be 1-255 visible ASCII characters.',
  invalid_timestamp: 'webhook-timestamp must be Unix seconds.',
  timestamp_too_old: 'webhook-timestamp is more than 5 minutes from our clock.',
  timestamp_too_new: 'webhook-timestamp is more than 5 minutes from our clock.',
  no_active_secret: 'The webhook signature does not match an active secret of this partner.',
  no_matching_signature: 'The webhook signature does not match an active secret of this partner.',
};

/** 401: the request is not signed as Standard Webhooks by one of the caller's active secrets. */
export class WebhookSignatureInvalid extends DomainError {
  readonly type = 'webhook-signature-invalid' as const;
  constructor(readonly reason: SignedRequestRefusal) {
    super(DETAIL[reason]);
  }
}

/** 409: a partner holds at most this many active secrets; revoke one (ending an overlap) first. */
export class TooManyWebhookSecrets extends DomainError {
  readonly type = 'conflict' as const;
  constructor(max: number) {
    super(`A partner holds at most ${max} active webhook secrets; revoke one first.`);
  }
}

/** 422: only an integration that may write through sync sends signed requests. */
export class WebhookSecretsNotAllowed extends DomainError {
  readonly type = 'unprocessable-entity' as const;
  constructor() {
    super("This partner's integration type may not hold sync:write, so it sends no signed requests.");
  }
}
