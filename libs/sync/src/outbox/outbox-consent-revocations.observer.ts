import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@app/common';
import { ConsentObservers, type ConsentObserver, type ConsentRevokedEvent } from '@app/consent';
import { consentRevokedEntryOf } from './outbox-entry';
import { MonotonicOutboxIds } from './outbox-id';
import { OutboxNeedsTransaction } from './outbox-member-changes.observer';
import { OutboxStore } from './outbox.store';

/**
 * Writes one outbox row per consent revocation, in the revocation's own transaction: the partner's
 * signed revocation notice is sent if and only if the revocation commits (and survives a crash).
 */
@Injectable()
export class OutboxConsentRevocationsObserver implements ConsentObserver, OnModuleInit {
  readonly name = 'outbox';
  private readonly ids = new MonotonicOutboxIds();

  constructor(
    // Global where ConsentModule is loaded (API, worker): the only processes that revoke consents.
    // A process without it (the CLI) revokes none, so has nothing to observe.
    @Optional() @Inject(ConsentObservers) private readonly observers: ConsentObservers | null,
    private readonly store: OutboxStore,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.observers?.register(this);
  }

  async consentRevoked(em: EntityManager, event: ConsentRevokedEvent): Promise<void> {
    if (!em.isInTransaction()) throw new OutboxNeedsTransaction();
    const now = this.clock.now();
    await this.store.insert(em, [consentRevokedEntryOf(this.ids.next(now.getTime()), event, now)]);
  }
}
