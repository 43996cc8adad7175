import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MikroORM, type EventSubscriber, type TransactionEventArgs } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

type Action = () => void;

/**
 * Runs work only once a transaction has committed: marking a request audited, or asking Redis for
 * a checkpoint, must never happen for a change that rolls back nor make the change roll back.
 * Work for a caller's open transaction waits for MikroORM's `afterTransactionCommit` of its root
 * transaction (savepoints share their root's fate) and is dropped on rollback.
 */
@Injectable()
export class AfterCommit implements EventSubscriber, OnModuleInit {
  private readonly logger = new Logger('AfterCommit');
  private readonly waiting = new WeakMap<object, Action[]>();

  constructor(private readonly orm: MikroORM) {}

  onModuleInit(): void {
    // Transactional forks clone this event manager, so every transaction of the process is seen.
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  /** Runs `action` now when `em` has no open transaction, else right after its root transaction commits. */
  run(em: EntityManager, action: Action): void {
    const transaction = em.isInTransaction() ? rootOf(em.getTransactionContext<object>()!) : undefined;
    if (!transaction) return this.safely(action);
    const actions = this.waiting.get(transaction);
    if (actions) actions.push(action);
    else this.waiting.set(transaction, [action]);
  }

  afterTransactionCommit(args: TransactionEventArgs): void {
    const transaction = args.transaction as object | undefined;
    const actions = transaction && this.waiting.get(transaction);
    if (!actions) return;
    this.waiting.delete(transaction);
    actions.forEach((action) => this.safely(action));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    const transaction = args.transaction as object | undefined;
    if (transaction) this.waiting.delete(transaction);
  }

  // An error here would surface from the caller's commit as if the committed change had failed.
  private safely(action: Action): void {
    try {
      action();
    } catch (error) {
      this.logger.error({ error: (error as Error).name }, 'post-commit action failed');
    }
  }
}

/** A savepoint's knex transaction points to its parent through a private symbol of MikroORM's connection. */
function rootOf(transaction: object): object {
  let current = transaction as Record<symbol, unknown>;
  for (;;) {
    const parentKey = Object.getOwnPropertySymbols(current).find(
      (s) => s.description === 'parentTransaction',
    );
    const parent = parentKey && current[parentKey];
    // A knex transaction is a function object.
    if (!parent || (typeof parent !== 'object' && typeof parent !== 'function')) return current;
    current = parent as Record<symbol, unknown>;
  }
}
