import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import type { JWK } from 'jose';
import type { WrappedSecret } from '@app/crypto';

/** An ES256 token-signing key. The private half is wrapped by the KEK; the database never sees it clear. */
@Entity({ tableName: 'signing_key' })
export class SigningKey {
  @PrimaryKey({ type: 'string', length: 64 })
  kid: string;

  @Property({ type: 'string', length: 10 })
  alg: 'ES256';

  @Property({ type: 'json' })
  publicJwk: JWK;

  @Property({ type: 'json' })
  privateKeyWrapped: WrappedSecret;

  @Enum({ items: ['active', 'retired'], type: 'string' })
  status: 'active' | 'retired';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  retiredAt?: Date | null;
}
