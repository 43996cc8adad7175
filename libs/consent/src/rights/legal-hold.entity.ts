import { Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import { LegalHoldRepository } from './legal-hold.repository';

/** A legal hold on a member: while active (not released), the member may not be deleted by anyone. */
@Entity({ tableName: 'legal_hold', repository: () => LegalHoldRepository })
export class LegalHold {
  [EntityRepositoryType]?: LegalHoldRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  memberId: string;

  @Property({ type: 'string', length: 30 })
  organizationId: string;

  /** A matter or ticket reference: never PHI. */
  @Property({ type: 'string', length: 200 })
  reason: string;

  @Property({ type: 'string', length: 40 })
  placedBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  placedAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  releasedAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  releasedBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  releaseReason?: string | null;
}
