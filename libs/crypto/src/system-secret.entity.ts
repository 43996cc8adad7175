import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { WrappedSecret } from './key-provider';

/** Service-wide secrets (blind-index key, cursor key), stored only wrapped by the KEK. */
@Entity({ tableName: 'system_secret' })
export class SystemSecret {
  @PrimaryKey({ type: 'string', length: 40 })
  name: string;

  @Property({ type: 'json' })
  wrapped: WrappedSecret;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;
}
