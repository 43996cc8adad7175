import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { ADMIN_ROLES, type AdminRole } from '@app/common';
import type { WrappedSecret } from '@app/crypto';

/** A workforce account: one per person, argon2id password, TOTP seed wrapped by the KEK. */
@Entity({ tableName: 'admin_user' })
export class AdminUser {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 254, unique: true })
  email: string;

  @Property({ type: 'string', length: 200 })
  passwordHash: string;

  @Enum({ items: [...ADMIN_ROLES], type: 'string' })
  role: AdminRole;

  @Property({ type: 'json' })
  totpSecretWrapped: WrappedSecret;

  @Enum({ items: ['active', 'disabled'], type: 'string' })
  status: 'active' | 'disabled';

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  disabledAt?: Date | null;

  @Property({ type: 'string', length: 40, nullable: true })
  disabledBy?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  disableReason?: string | null;
}
