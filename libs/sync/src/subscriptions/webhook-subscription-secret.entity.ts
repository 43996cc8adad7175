import { Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import type { WrappedSecret } from '@app/crypto';
import { WebhookSubscriptionSecretRepository } from './webhook-subscription-secret.repository';

/**
 * A signing secret of one subscription, wrapped by the KEK (AAD binds partner, subscription and
 * id). The current secret has no `expiresAt`; after a rotation the previous one signs alongside
 * it until `expiresAt`, so the receiver can switch without losing a delivery.
 */
@Entity({ tableName: 'webhook_subscription_secret', repository: () => WebhookSubscriptionSecretRepository })
export class WebhookSubscriptionSecret {
  [EntityRepositoryType]?: WebhookSubscriptionSecretRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  subscriptionId: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  @Property({ type: 'json' })
  secretWrapped: WrappedSecret;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;
}
