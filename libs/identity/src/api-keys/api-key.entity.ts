import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { PartnerScope } from '@app/common';

/** An API key of one integration: shown once, stored as a SHA-256 hash, bound to a CIDR allow-list. */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  /** Public lookup part of the key, so verification needs one indexed row, not a scan. */
  @Property({ type: 'string', length: 16, unique: true })
  lookupPrefix: string;

  @Property({ type: 'string', length: 64 })
  secretHash: string;

  @Property({ type: 'string[]', columnType: 'text[]' })
  scopes: PartnerScope[];

  @Property({ type: 'string[]', columnType: 'text[]' })
  allowedCidrs: string[];

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  /** Set when the key is rotated: it keeps working until then (the overlap). */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  revokedBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  revokeReason?: string | null;
}
