import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { ExpiryThreshold } from './baa-expiry';

/** That an expiry warning went out for a BAA's end date and threshold: the dedupe of the daily check. */
@Entity({ tableName: 'vendor_baa_warning' })
export class VendorBaaWarning {
  @PrimaryKey({ type: 'string', length: 30 })
  vendorId: string;

  @PrimaryKey({ type: 'date' })
  expiresAt: string;

  @PrimaryKey({ type: 'integer' })
  daysAhead: ExpiryThreshold;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  raisedAt: Date;
}
