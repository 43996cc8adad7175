import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { DataCategory } from '@app/common';

export const VENDOR_ROLES = ['partner', 'subprocessor'] as const;
export type VendorRole = (typeof VENDOR_ROLES)[number];
export const BAA_STATUSES = ['draft', 'signed', 'expired', 'terminated'] as const;
export type BaaStatus = (typeof BAA_STATUSES)[number];
/** What a subprocessor does for us (partners' vendors have none). */
export const SUBPROCESSOR_SERVICES = [
  'cloud',
  'logging',
  'analytics',
  'error_tracking',
  'siem',
  'kms',
  'other',
] as const;
export type SubprocessorService = (typeof SUBPROCESSOR_SERVICES)[number];

/** A business associate and its BAA: no ePHI leaves the service to a vendor without one in effect. */
@Entity({ tableName: 'vendor' })
export class Vendor {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 200 })
  name: string;

  @Enum({ items: [...VENDOR_ROLES], type: 'string' })
  role: VendorRole;

  @Enum({ items: [...SUBPROCESSOR_SERVICES], type: 'string', nullable: true })
  service?: SubprocessorService | null;

  /** Whom to notify of a breach at or through this vendor: a business contact, never PHI. */
  @Property({ type: 'string', length: 200, nullable: true })
  breachContactName?: string | null;

  @Property({ type: 'string', length: 254, nullable: true })
  breachContactEmail?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  breachContactPhone?: string | null;

  /** The current version in `vendor_baa_version`; the columns below repeat its terms for the gate. */
  @Property({ type: 'integer' })
  baaVersion: number;

  @Enum({ items: [...BAA_STATUSES], type: 'string' })
  baaStatus: BaaStatus;

  @Property({ type: 'date', nullable: true })
  baaSignedAt?: string | null;

  @Property({ type: 'date', nullable: true })
  baaEffectiveFrom?: string | null;

  @Property({ type: 'date', nullable: true })
  baaExpiresAt?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  baaDocumentSha256?: string | null;

  @Property({ type: 'string[]', columnType: 'text[]' })
  baaPermittedCategories: DataCategory[];

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt: Date;
}
