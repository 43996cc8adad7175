import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export type KeyRotationStatus = 'running' | 'completed' | 'failed';

/** One KEK rotation run: re-wraps every wrapped secret (and optionally re-encrypts member fields). */
@Entity({ tableName: 'key_rotation' })
export class KeyRotation {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Enum({ items: ['running', 'completed', 'failed'], type: 'string' })
  status: KeyRotationStatus;

  @Property({ type: 'boolean' })
  reencrypt: boolean;

  @Property({ type: 'integer' })
  total: number;

  @Property({ type: 'integer' })
  done: number;

  /** Where a resumed run continues: the owner being processed and the last key it finished. */
  @Property({ type: 'json', nullable: true })
  cursor?: { owner: string; after: string | null } | null;

  @Property({ type: 'string', length: 30, nullable: true })
  requestedBy?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  startedAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  finishedAt?: Date | null;
}
