import { Injectable, OnModuleInit } from '@nestjs/common';
import { LockMode, type EntityClass, type FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { KeyProvider, type WrappedSecret } from './key-provider';
import { WrappedSecretOwners, type WrappedSecretOwner } from './wrapped-secret-owners';

/**
 * An owner whose wrapped secrets sit in one column of one entity, keyed by a string primary key:
 * each batch locks its rows, unwraps under the row's context and wraps again under the current KEK.
 */
// Decorated so its constructor's parameter types are emitted for the subclasses' injection.
@Injectable()
export abstract class EntitySecretsOwner<T extends object> implements WrappedSecretOwner, OnModuleInit {
  abstract readonly name: string;
  protected abstract readonly entity: EntityClass<T>;
  protected abstract readonly key: keyof T & string;
  protected abstract readonly column: keyof T & string;
  protected abstract contextOf(row: T): string;

  constructor(
    protected readonly em: EntityManager,
    protected readonly keyProvider: KeyProvider,
    private readonly owners: WrappedSecretOwners,
  ) {}

  onModuleInit(): void {
    this.owners.register(this);
  }

  count(): Promise<number> {
    return this.em.fork().count(this.entity, {});
  }

  rewrapBatch(after: string | null, limit: number): Promise<{ last: string | null; count: number }> {
    return this.em.fork().transactional(async (em) => {
      const where = (after ? { [this.key]: { $gt: after } } : {}) as FilterQuery<T>;
      const rows = await em.find(this.entity, where, {
        orderBy: { [this.key]: 'asc' } as never,
        limit,
        lockMode: LockMode.PESSIMISTIC_WRITE,
      });
      for (const row of rows) {
        const context = this.contextOf(row);
        const secret = await this.keyProvider.unwrap(row[this.column] as WrappedSecret, context);
        const rewrapped = await this.keyProvider.wrap(secret, context);
        await em.nativeUpdate(
          this.entity,
          { [this.key]: row[this.key] } as FilterQuery<T>,
          { [this.column]: rewrapped } as never,
        );
      }
      return { last: rows.length ? (rows[rows.length - 1][this.key] as string) : null, count: rows.length };
    });
  }
}
