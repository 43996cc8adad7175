// Fallback polling of membership systems' change feeds: sources (token wrapped by the KEK), one
// repeating job per source, backfills, and sync health. Changes go through IngestService.apply only.
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { IdentityModule } from '@app/identity';
import { IngestModule } from '../ingest/ingest.module';
import { ChangeFeedClient } from './change-feed.client';
import { SourcePollJob } from './source-poll.job';
import { SourcePoller } from './source-poller';
import { SourceSchedules } from './source-schedules';
import { SourceTokensOwner } from './source-tokens.owner';
import { SourcesController } from './sources.controller';
import { SourcesService } from './sources.service';
import { SourcesStore } from './sources.store';
import { SyncSource } from './sync-source.entity';

@Module({
  imports: [IdentityModule, IngestModule, MikroOrmModule.forFeature([SyncSource])],
  controllers: [SourcesController],
  providers: [
    ChangeFeedClient,
    SourcePollJob,
    SourcePoller,
    SourceSchedules,
    SourceTokensOwner,
    SourcesService,
    SourcesStore,
  ],
  exports: [SourcesService, SourcePoller, SourceSchedules, SourcesStore],
})
export class PollingModule {}
