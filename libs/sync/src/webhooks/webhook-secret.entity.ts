import { Entity, EntityRepositoryType, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { WrappedSecret } from '@app/crypto';
import { WebhookSecretRepository } from './webhook-secret.repository';

export type WebhookSecretStatus = 'active' | 'revoked';

/**
 * A partner's inbound signing secret (Standard Webhooks). Stored only wrapped by the KEK, bound to
 * its partner and id; several may be active at once so a sender can rotate without a gap.
 */
@Entity({ tableName: 'webhook_secret', repository: () => WebhookSecretRepository })
export class WebhookSecret {
  [EntityRepositoryType]?: WebhookSecretRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  @Property({ type: 'json' })
  secretWrapped: WrappedSecret;

  @Enum({ items: ['active', 'revoked'], type: 'string' })
  status: WebhookSecretStatus;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  /** The admin (or `cli:…`/`test:…` system actor) who created it. */
  @Property({ type: 'string', length: 40 })
  createdBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  revokedBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  revokeReason?: string | null;
}
