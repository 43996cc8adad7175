import { Injectable } from '@nestjs/common';
import { EntitySecretsOwner } from '@app/crypto';
import { SyncSource } from './sync-source.entity';
import { tokenWrapContext } from './source-rules';

/** Sources' feed bearer tokens in a KEK rotation (re-wrapped under the new key, bound to the source). */
@Injectable()
export class SourceTokensOwner extends EntitySecretsOwner<SyncSource> {
  readonly name = 'sync_source_token';
  protected readonly entity = SyncSource;
  protected readonly key = 'id' as const;
  protected readonly column = 'tokenWrapped' as const;

  protected contextOf(row: SyncSource): string {
    return tokenWrapContext(row.id);
  }
}
