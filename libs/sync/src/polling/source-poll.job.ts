import { Injectable } from '@nestjs/common';
import { JobHandler, type JobContext, type JobPayloads } from '@app/common';
import { SourcePoller, type RunSummary } from './source-poller';

/** The polling queue's handlers: they throw on failure, so BullMQ retries from the stored cursor. */
@Injectable()
export class SourcePollJob {
  constructor(private readonly poller: SourcePoller) {}

  @JobHandler('sync.poll')
  poll(payload: JobPayloads['sync.poll']): Promise<RunSummary> {
    return this.poller.poll(payload.sourceId);
  }

  @JobHandler('sync.backfill')
  backfill(payload: JobPayloads['sync.backfill'], context: JobContext): Promise<RunSummary> {
    return this.poller.backfill(payload.sourceId, (percent) => context.progress(percent), context.final);
  }
}
