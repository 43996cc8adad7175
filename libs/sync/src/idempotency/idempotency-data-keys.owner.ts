import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { KeyProvider, WrappedSecretOwners, type WrappedSecretOwner } from '@app/crypto';
import { dataKeyContext } from './idempotency-response.cipher';
import { IdempotencyStore } from './idempotency.store';

/**
 * The daily idempotency data keys in a KEK rotation: each is re-wrapped under the current KEK. A
 * re-encryption run re-wraps them too; the answers are not re-sealed, since no key outlives the
 * retention window by more than a day and the sweep destroys it with its records.
 */
@Injectable()
export class IdempotencyDataKeysOwner implements WrappedSecretOwner, OnModuleInit {
  readonly name = 'idempotency_data_key';

  constructor(
    private readonly em: EntityManager,
    private readonly store: IdempotencyStore,
    private readonly keyProvider: KeyProvider,
    private readonly owners: WrappedSecretOwners,
  ) {}

  onModuleInit(): void {
    this.owners.register(this);
  }

  count(): Promise<number> {
    return this.store.countDataKeys();
  }

  rewrapBatch(after: string | null, limit: number): Promise<{ last: string | null; count: number }> {
    return this.em.fork().transactional(async (em) => {
      const keys = await this.store.lockDataKeysAfter(em, after, limit);
      for (const key of keys) {
        const context = dataKeyContext(key.id);
        const secret = await this.keyProvider.unwrap(key.wrapped, context);
        await this.store.replaceDataKey(em, key.id, await this.keyProvider.wrap(secret, context));
      }
      return { last: keys.at(-1)?.id ?? null, count: keys.length };
    });
  }
}
