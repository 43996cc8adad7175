import { Injectable } from '@nestjs/common';
import { EntitySecretsOwner } from './entity-secrets.owner';
import { SystemSecret } from './system-secret.entity';

/** Re-wraps the service secrets (blind-index and cursor keys) during a KEK rotation. */
@Injectable()
export class SystemSecretsOwner extends EntitySecretsOwner<SystemSecret> {
  readonly name = 'system_secret';
  protected readonly entity = SystemSecret;
  protected readonly key = 'name' as const;
  protected readonly column = 'wrapped' as const;

  protected contextOf(row: SystemSecret): string {
    return `system-secret:${row.name}`;
  }
}
