import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { Clock, JobHandler, type JobContext, type JobPayloads } from '@app/common';
import { KeyRotationRunner } from '@app/crypto';

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
    let rotation;
    try {
      rotation = await this.runner.run(
        payload.rotationId,
        () => this.clock.now(),
        (percent) => context.progress(percent),
      );
    } catch (error) {
      // Retries resume from the committed cursor; only the last attempt marks the run failed.
      if (context.final) await this.runner.fail(payload.rotationId, this.clock.now());
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
