import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export type ActorType = 'partner_client' | 'api_key' | 'admin' | 'system' | 'anonymous';
export type AuditOutcome = 'success' | 'failure' | 'denied';

/**
 * One audited action. Never a field value, a query-string value, a body or a secret: only who,
 * from where, through which route template, on which opaque ids, and how it ended.
 */
@Entity({ tableName: 'audit_event' })
export class AuditEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  occurredAt: Date;

  @Enum({ items: ['partner_client', 'api_key', 'admin', 'system', 'anonymous'], type: 'string' })
  actorType: ActorType;

  @Property({ type: 'string', length: 40, nullable: true })
  actorId?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  clientId?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  partnerId?: string | null;

  @Property({ type: 'string', length: 45, nullable: true })
  ip?: string | null;

  @Property({ type: 'string', length: 256, nullable: true })
  userAgent?: string | null;

  @Property({ type: 'string', length: 10, nullable: true })
  method?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  route?: string | null;

  @Property({ type: 'string', length: 80 })
  action: string;

  @Property({ type: 'string', length: 40, nullable: true })
  resourceType?: string | null;

  @Property({ type: 'string[]', columnType: 'text[]', nullable: true })
  resourceIds?: string[] | null;

  @Property({ type: 'string', length: 40, nullable: true })
  purpose?: string | null;

  /** Data categories disclosed by a read (accounting of disclosures); never values. */
  @Property({ type: 'string[]', columnType: 'text[]', nullable: true })
  categories?: string[] | null;

  @Enum({ items: ['success', 'failure', 'denied'], type: 'string' })
  outcome: AuditOutcome;

  @Property({ type: 'integer', nullable: true })
  statusCode?: number | null;

  @Property({ type: 'string', length: 80, nullable: true })
  reason?: string | null;

  @Property({ type: 'uuid', nullable: true })
  requestId?: string | null;

  /** Position in the hash chain: gapless, assigned under the chain-head lock. */
  @Property({ type: 'bigint' })
  seq: string;

  /** SHA-256(previous hash ‖ canonical(event)); null only for events older than the chain. */
  @Property({ type: 'blob', nullable: true })
  hash?: Buffer | null;
}
