import { Entity, EntityRepositoryType, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import {
  RIGHTS_REQUEST_KINDS,
  RIGHTS_REQUEST_STATUSES,
  type RightsRequestKind,
  type RightsRequestStatus,
} from './rights-request-state';
import { RightsRequestRepository } from './rights-request.repository';

/** A partner that received a member's amended categories before, and how (from the audit trail). */
export interface AmendmentRecipient {
  partnerId: string;
  /** The audited actions it received them by: member.read, member.list (incl. the change feed), member.deliver. */
  receivedBy: string[];
  /** True when it never received this member by delivery: no push reaches it, tell it out of band. */
  outOfBand: boolean;
}

/**
 * A member rights request. Ids, kinds, dates and field names only: an amendment's proposed values
 * are sealed under the member's data key (`proposalEnc`), reasons are ticket references.
 */
@Entity({ tableName: 'rights_request', repository: () => RightsRequestRepository })
export class RightsRequest {
  [EntityRepositoryType]?: RightsRequestRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  memberId: string;

  @Property({ type: 'string', length: 30 })
  organizationId: string;

  @Enum({ items: [...RIGHTS_REQUEST_KINDS], type: 'string' })
  kind: RightsRequestKind;

  @Enum({ items: [...RIGHTS_REQUEST_STATUSES], type: 'string' })
  status: RightsRequestStatus;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  receivedAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  dueAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  extendedAt?: Date | null;

  @Property({ type: 'string', length: 200, nullable: true })
  extensionReason?: string | null;

  /** Catalog field names of an amendment's proposed change (names, never values). */
  @Property({ type: 'string[]', columnType: 'text[]', nullable: true })
  proposalFields?: string[] | null;

  @Property({ type: 'integer', nullable: true })
  proposalKeyVersion?: number | null;

  @Property({ type: 'Buffer', columnType: 'bytea', nullable: true })
  proposalEnc?: Buffer | null;

  /** Why a request was denied or refused (written reason, §164.526(d)); by policy never PHI. */
  @Property({ type: 'string', length: 500, nullable: true })
  decisionReason?: string | null;

  @Property({ type: 'json', nullable: true })
  notifiedPartners?: AmendmentRecipient[] | null;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  overdueAlertedAt?: Date | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'string', length: 40 })
  createdBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt: Date;

  @Property({ type: 'string', length: 40 })
  updatedBy: string;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  closedAt?: Date | null;
}
