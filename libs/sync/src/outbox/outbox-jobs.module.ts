// The outbox's background work, for the worker process only: the relay loop and the prune schedule.
// The API must never relay nor schedule; the prune handler itself is in OutboxModule.
import { Module } from '@nestjs/common';
import { OutboxModule } from './outbox.module';
import { OutboxPruneSchedule } from './outbox-prune.schedule';
import { OutboxRelayLoop } from './outbox-relay.loop';

@Module({
  imports: [OutboxModule],
  providers: [OutboxRelayLoop, OutboxPruneSchedule],
})
export class OutboxJobsModule {}
