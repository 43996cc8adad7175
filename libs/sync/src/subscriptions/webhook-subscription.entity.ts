import { ArrayType, Entity, EntityRepositoryType, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { WebhookSubscriptionRepository } from './webhook-subscription.repository';

export type WebhookSubscriptionStatus = 'active' | 'disabled';

/**
 * A partner's outbound webhook subscription: where changes are delivered (an https URL that
 * resolved only to public addresses when registered) and which event types. Never deleted: a
 * partner's delete disables it (reason `deleted`), as do 410 Gone and a failing endpoint.
 */
@Entity({ tableName: 'webhook_subscription', repository: () => WebhookSubscriptionRepository })
export class WebhookSubscription {
  [EntityRepositoryType]?: WebhookSubscriptionRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  @Property({ type: 'string', length: 2048 })
  url: string;

  /** Event types (see WEBHOOK_EVENT_TYPES), sorted; a text[] so deliveries find subscribers with `@>`. */
  @Property({ type: ArrayType, columnType: 'text[]' })
  events: string[];

  @Enum({ items: ['active', 'disabled'], type: 'string' })
  status: WebhookSubscriptionStatus;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  /** The partner's client or API key that registered it. */
  @Property({ type: 'string', length: 40 })
  createdBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  disabledAt?: Date | null;

  /** `deleted` (by the partner), or a delivery reason such as `gone` or `failing`. */
  @Property({ type: 'string', length: 40, nullable: true })
  disabledReason?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  disabledBy?: string | null;
}
