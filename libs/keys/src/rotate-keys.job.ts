import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { Clock, JobHandler, type JobContext, type JobPayloads } from '@app/common';
import { KeyRotationRunner, RotationBusy } from '@app/crypto';

/** Runs (or resumes) a KEK rotation to the end and audits its completion. */
@Injectable()
export class RotateKeysJob {
  constructor(
    private readonly runner: KeyRotationRunner,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  @JobHandler('keys.rotate')
  async run(payload: JobPayloads['keys.rotate'], context: JobContext): Promise<void> {
    // A retry after another worker finished the run has nothing to do (and audits nothing twice).
    if ((await this.runner.find(payload.rotationId))?.status !== 'running') return;
    let rotation;
    try {
      rotation = await this.runner.run(
        payload.rotationId,
        () => this.clock.now(),
        (percent) => context.progress(percent),
      );
    } catch (error) {
      // Retries resume from the committed cursor; only the last attempt marks the run failed, and
      // not when another worker holds the re-wrap lock (that worker is carrying the run on).
      if (context.final && !(error instanceof RotationBusy))
        await this.runner.fail(payload.rotationId, this.clock.now());
      throw error;
    }
    await this.audit.recordStandalone({
      actorType: 'system',
      actorId: `job:${context.jobId}`,
      action: 'keys.rotate.completed',
      resourceType: 'key_rotation',
      resourceIds: [rotation.id],
      outcome: 'success',
    });
  }
}
