import { Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import type { DataCategory } from '@app/common';
import type { WrappedSecret } from '@app/crypto';
import type { HhsStatement } from './hhs-report';
import { IncidentRepository } from './incident.repository';
import type { NoticeContact } from './notification-letter';
import type { RiskAssessment } from './risk-assessment';

/** What the officer said about the notice, apart from free text (which is sealed with the rest). */
export interface IncidentNotification extends HhsStatement {
  contact: NoticeContact;
}

/**
 * A breach incident: when it was discovered, the compromised client and window if any, and what
 * was computed from the audit trail at recording (how many members, which categories, residents
 * per state). The officer's free text lives only in `textEnc`, sealed under the incident's data key.
 */
@Entity({ tableName: 'incident', repository: () => IncidentRepository })
export class Incident {
  [EntityRepositoryType]?: IncidentRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  discoveredAt: Date;

  /** AES-256-GCM of the officer's text ({description, notes, whatWeAreDoing}) under `textKey`. */
  @Property({ type: 'blob' })
  textEnc: Buffer;

  /** The incident's data key, wrapped by the KEK (re-wrapped by a key rotation). */
  @Property({ type: 'json' })
  textKey: WrappedSecret;

  @Property({ type: 'string', length: 30, nullable: true })
  clientId?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  windowFrom?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  windowTo?: Date | null;

  @Property({ type: 'integer' })
  affectedCount: number;

  /** Data categories the audited disclosures carried (names, never values). */
  @Property({ type: 'string[]', columnType: 'text[]' })
  categories: DataCategory[];

  /** Affected members per address state: counts only, for the media-notice rule. */
  @Property({ type: 'json' })
  residentsByState: Record<string, number>;

  /** The four factors' levels (their notes are in `textEnc`). */
  @Property({ type: 'json', nullable: true })
  assessment?: RiskAssessment | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  assessedAt?: Date | null;

  @Property({ type: 'json', nullable: true })
  notification?: IncidentNotification | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  containedAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  containedBy?: string | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'string', length: 40 })
  createdBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt: Date;
}
