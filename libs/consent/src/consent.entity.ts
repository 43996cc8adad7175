import { Entity, EntityRepositoryType, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { DataCategory } from '@app/common';
import { ConsentRepository } from './consent.repository';

/** What is stored; `expired` is not: it is computed from `validUntil` at the moment of asking. */
export const STORED_CONSENT_STATUSES = ['active', 'revoked'] as const;
export type StoredConsentStatus = (typeof STORED_CONSENT_STATUSES)[number];

/**
 * A member's authorization for one partner, one purpose and some data categories, over a period,
 * with the SHA-256 of the signed evidence (kept outside this service). Ids and category names
 * only: no member value is ever stored here.
 */
@Entity({ tableName: 'consent', repository: () => ConsentRepository })
export class Consent {
  [EntityRepositoryType]?: ConsentRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  memberId: string;

  @Property({ type: 'string', length: 30 })
  organizationId: string;

  @Property({ type: 'string', length: 30 })
  partnerId: string;

  @Property({ type: 'string', length: 40 })
  purpose: string;

  @Property({ type: 'string[]', columnType: 'text[]' })
  categories: DataCategory[];

  @Property({ type: 'Date', columnType: 'timestamptz' })
  validFrom: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  validUntil?: Date | null;

  @Enum({ items: [...STORED_CONSENT_STATUSES], type: 'string' })
  status: StoredConsentStatus;

  @Property({ type: 'string', length: 64 })
  evidenceSha256: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  /** The admin who recorded it. */
  @Property({ type: 'string', length: 40 })
  createdBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  revokedBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  revocationReason?: string | null;
}
