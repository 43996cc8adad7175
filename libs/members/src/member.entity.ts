import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

export const MEMBER_STATUSES = ['active', 'terminated', 'deleted'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A member of one organization. The encrypted ePHI groups arrive with the field catalog. */
@Entity({ tableName: 'member' })
export class Member {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 30 })
  organizationId: string;

  @Property({ type: 'bigint', version: false })
  version: string;

  @Enum({ items: [...MEMBER_STATUSES], type: 'string' })
  status: MemberStatus;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt: Date;
}
