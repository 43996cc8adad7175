import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** An employer or benefits sponsor: the tenant boundary for members and partner access. */
@Entity({ tableName: 'organization' })
export class Organization {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 200 })
  name: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt: Date;
}
