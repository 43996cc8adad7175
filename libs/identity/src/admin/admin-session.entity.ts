import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

/** One login: a family of rotating refresh tokens. Reusing a spent refresh token revokes it whole. */
@Entity({ tableName: 'admin_session' })
export class AdminSession {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  adminUserId: string;

  @Enum({ items: ['active', 'revoked'], type: 'string' })
  status: 'active' | 'revoked';

  @Property({ type: 'string', length: 40, nullable: true })
  revokedReason?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  /** No session outlives this, however active (absolute timeout). */
  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt: Date;
}

/** A refresh token of a session, stored as a SHA-256 hash; `used` once it has been exchanged. */
@Entity({ tableName: 'admin_refresh_token' })
export class AdminRefreshToken {
  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash: string;

  @Property({ type: 'string', length: 30 })
  sessionId: string;

  @Enum({ items: ['active', 'used'], type: 'string' })
  status: 'active' | 'used';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;
}
