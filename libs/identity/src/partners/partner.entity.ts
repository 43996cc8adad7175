import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { PARTNER_TYPES, type DataCategory, type PartnerType } from '@app/common';

/** An integration (carrier, benefits admin, membership system, wellness app) of one vendor. */
@Entity({ tableName: 'partner' })
export class Partner {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 200 })
  name: string;

  @Property({ type: 'string', length: 30 })
  vendorId: string;

  @Enum({ items: [...PARTNER_TYPES], type: 'string' })
  type: PartnerType;

  /** The organizations whose members this partner may see (object-level authorization). */
  @Property({ type: 'string[]', columnType: 'text[]' })
  organizationIds: string[];

  @Property({ type: 'string[]', columnType: 'text[]' })
  categories: DataCategory[];

  @Property({ type: 'string', length: 40 })
  purpose: string;

  @Property({ type: 'boolean' })
  requiresConsent: boolean;

  @Enum({ items: ['active', 'suspended'], type: 'string' })
  status: 'active' | 'suspended';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  /** The last suspension or reinstatement: when, by whom (admin id) and why. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  statusChangedAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  statusChangedBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  statusReason?: string | null;
}
