import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { WrappedSecret } from '@app/crypto';

export const SOURCE_STATUSES = ['syncing', 'done', 'failed', 'paused'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];
export type BackfillStatus = 'running' | 'done' | 'failed';

/**
 * A membership system's change feed we poll: where, how often, its bearer token (wrapped by the
 * KEK, bound to the source's id). The cursors and health columns of the row are SourcesStore's
 * (plain SQL, compare-and-set); the entity is for the insert and the KEK rotation. No ePHI.
 */
@Entity({ tableName: 'sync_source' })
export class SyncSource {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  @Property({ type: 'string', length: 2048 })
  changeFeedUrl: string;

  @Property({ type: 'integer' })
  pollIntervalSeconds: number;

  @Property({ type: 'json' })
  tokenWrapped: WrappedSecret;

  @Enum({ items: [...SOURCE_STATUSES], type: 'string' })
  status: SourceStatus;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'string', length: 40 })
  createdBy: string;
}
