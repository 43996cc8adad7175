// The transactional outbox: a row per member change (and per consent revocation) in its own transaction,
// the relay that moves rows into the `deliveries` queue, and their prune (DeliveriesModule handles the jobs).
// It must never store a member value.
import { Module } from '@nestjs/common';
import { MembersModule } from '@app/members';
import { OutboxConsentRevocationsObserver } from './outbox-consent-revocations.observer';
import { OutboxMemberChangesObserver } from './outbox-member-changes.observer';
import { OutboxPruneJob } from './outbox-prune.job';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxStore } from './outbox.store';

@Module({
  imports: [MembersModule],
  providers: [
    OutboxStore,
    OutboxMemberChangesObserver,
    OutboxConsentRevocationsObserver,
    OutboxRelay,
    OutboxPruneJob,
  ],
  exports: [OutboxRelay],
})
export class OutboxModule {}
