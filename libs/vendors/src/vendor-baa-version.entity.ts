import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { DataCategory } from '@app/common';
import { BAA_CHANGES, type BaaChangeKind } from './baa-lifecycle';
import { BAA_STATUSES, type BaaStatus } from './vendor.entity';

/** One version of a vendor's BAA, with who changed it and why. Append-only (the app role cannot update or delete). */
@Entity({ tableName: 'vendor_baa_version' })
export class VendorBaaVersion {
  @PrimaryKey({ type: 'string', length: 30 })
  vendorId: string;

  @PrimaryKey({ type: 'integer' })
  version: number;

  @Enum({ items: [...BAA_CHANGES], type: 'string' })
  change: BaaChangeKind;

  @Enum({ items: [...BAA_STATUSES], type: 'string' })
  status: BaaStatus;

  @Property({ type: 'date', nullable: true })
  signedAt?: string | null;

  @Property({ type: 'date', nullable: true })
  effectiveFrom?: string | null;

  @Property({ type: 'date', nullable: true })
  expiresAt?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  documentSha256?: string | null;

  @Property({ type: 'string[]', columnType: 'text[]' })
  permittedCategories: DataCategory[];

  @Property({ type: 'Date', columnType: 'timestamptz' })
  changedAt: Date;

  /** The admin's id, or the system actor (`job:vendors.baa-expiry-check`). */
  @Property({ type: 'string', length: 60 })
  changedBy: string;

  @Property({ type: 'string', length: 200, nullable: true })
  reason?: string | null;
}
