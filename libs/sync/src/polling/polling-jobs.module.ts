// For the worker only: puts back every source's repeating poll at boot (a schedule lost with Redis,
// or one whose upsert failed after the source was created). The handlers are in PollingModule.
import { Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { PollingModule } from './polling.module';
import { SourceSchedules } from './source-schedules';
import { SourcesStore } from './sources.store';

@Injectable()
export class SourceSchedulesBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly store: SourcesStore,
    private readonly schedules: SourceSchedules,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const source of await this.store.ids())
      await this.schedules.upsert(source.id, source.pollIntervalSeconds);
  }
}

@Module({
  imports: [PollingModule],
  providers: [SourceSchedulesBootstrap],
})
export class PollingJobsModule {}
