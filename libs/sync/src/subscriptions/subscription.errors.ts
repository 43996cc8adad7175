import { DomainError } from '@app/common';
import type { SubscriptionUrlRefusal } from './subscription-url';

const DETAIL: Record<SubscriptionUrlRefusal, string> = {
  malformed: 'The url is not an absolute URL.',
  too_long: 'The url is longer than 2048 characters.',
  not_https: 'The url must use https.',
  credentials_in_url: 'The url must not carry a user name or password.',
  fragment_in_url: 'The url must not carry a fragment (#).',
  non_public_address:
    'The url must reach only public addresses (no loopback, private, link-local or metadata).',
  unresolvable: 'The url host does not resolve.',
};

/** 422: the webhook URL may not be registered. The body names the rule (`reason`), never the URL or an address. */
export class WebhookUrlRefused extends DomainError {
  readonly type = 'webhook-url-refused' as const;
  constructor(readonly reason: SubscriptionUrlRefusal) {
    super(DETAIL[reason]);
    this.extensions.reason = reason;
  }
}

/** 409: a partner holds at most this many active subscriptions; delete one first. */
export class TooManySubscriptions extends DomainError {
  readonly type = 'conflict' as const;
  constructor(max: number) {
    super(`A partner holds at most ${max} active webhook subscriptions; delete one first.`);
  }
}

/** 409: a disabled subscription's secret is not rotated; create a new subscription instead. */
export class SubscriptionDisabled extends DomainError {
  readonly type = 'conflict' as const;
  constructor() {
    super('The webhook subscription is disabled.');
  }
}
