import { Injectable } from '@nestjs/common';
import { EntitySecretsOwner } from '@app/crypto';
import { AdminUser } from './admin/admin-user.entity';
import { SigningKey } from './tokens/signing-key.entity';

/** Token-signing private keys in a KEK rotation. */
@Injectable()
export class SigningKeysOwner extends EntitySecretsOwner<SigningKey> {
  readonly name = 'signing_key';
  protected readonly entity = SigningKey;
  protected readonly key = 'kid' as const;
  protected readonly column = 'privateKeyWrapped' as const;

  protected contextOf(row: SigningKey): string {
    return `signing-key:${row.kid}`;
  }
}

/** Admin TOTP seeds in a KEK rotation. */
@Injectable()
export class AdminTotpOwner extends EntitySecretsOwner<AdminUser> {
  readonly name = 'admin_totp';
  protected readonly entity = AdminUser;
  protected readonly key = 'id' as const;
  protected readonly column = 'totpSecretWrapped' as const;

  protected contextOf(row: AdminUser): string {
    return `admin-totp:${row.id}`;
  }
}
