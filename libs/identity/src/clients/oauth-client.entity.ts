import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { JSONWebKeySet } from 'jose';
import type { PartnerScope } from '@app/common';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** An OAuth client of one partner integration; never shared between partners. */
@Entity({ tableName: 'oauth_client' })
export class OAuthClient {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  @Enum({ items: [...CLIENT_AUTH_METHODS], type: 'string' })
  authMethod: ClientAuthMethod;

  /** argon2id hash of the client secret (client_secret_basic only). */
  @Property({ type: 'string', length: 200, nullable: true })
  secretHash?: string | null;

  /** The partner's public keys (private_key_jwt only). */
  @Property({ type: 'json', nullable: true })
  jwks?: JSONWebKeySet | null;

  /** base64url SHA-256 of the partner's client certificate: tokens are bound to it (RFC 8705). */
  @Property({ type: 'string', length: 43, nullable: true })
  certificateThumbprint?: string | null;

  @Property({ type: 'string[]', columnType: 'text[]' })
  scopes: PartnerScope[];

  @Enum({ items: ['active', 'revoked'], type: 'string' })
  status: 'active' | 'revoked';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  /** Who revoked it (admin id, or the system actor) and why. */
  @Property({ type: 'string', length: 40, nullable: true })
  revokedBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  revokeReason?: string | null;
}
