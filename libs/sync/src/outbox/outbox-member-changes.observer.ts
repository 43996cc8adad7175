import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@app/common';
import { MemberChangeObservers, type MemberChangeEvent, type MemberChangeObserver } from '@app/members';
import { MonotonicOutboxIds } from './outbox-id';
import { outboxEntryOf } from './outbox-entry';
import { OutboxStore } from './outbox.store';

/** Raised when a member change reaches the outbox outside a transaction: its row could outlive a rollback. */
export class OutboxNeedsTransaction extends Error {
  constructor() {
    super('a member change must be written inside a transaction for its outbox row to share it');
  }
}

/**
 * Writes one outbox row per member change, on the change's own transaction: the member row, its
 * `member_change` row, its audit event and its outbox row commit together or not at all.
 */
@Injectable()
export class OutboxMemberChangesObserver implements MemberChangeObserver, OnModuleInit {
  readonly name = 'outbox';
  private readonly ids = new MonotonicOutboxIds();

  constructor(
    private readonly observers: MemberChangeObservers,
    private readonly store: OutboxStore,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.observers.register(this);
  }

  async changed(em: EntityManager, changes: readonly MemberChangeEvent[]): Promise<void> {
    if (!em.isInTransaction()) throw new OutboxNeedsTransaction();
    const nowMs = this.clock.nowMs();
    await this.store.insert(
      em,
      changes.map((change) => outboxEntryOf(this.ids.next(nowMs), change)),
    );
  }
}
