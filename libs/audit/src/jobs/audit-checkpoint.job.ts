import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, JobHandler, JobQueues, type JobPayloads } from '@app/common';
import { CheckpointsService } from '../chain/checkpoints.service';

/** Signs a checkpoint of the audit chain every N events (asked for by the writer) and every T seconds. */
@Injectable()
export class AuditCheckpointJob implements OnApplicationBootstrap {
  constructor(
    private readonly checkpoints: CheckpointsService,
    private readonly jobs: JobQueues,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.schedule(
      'audit.checkpoint',
      { reason: 'interval' },
      this.config.audit.checkpointIntervalSeconds * 1000,
    );
  }

  @JobHandler('audit.checkpoint')
  async run(_payload: JobPayloads['audit.checkpoint']): Promise<void> {
    await this.checkpoints.checkpointHead();
  }
}
