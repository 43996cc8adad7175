import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { Clock, JobQueues, type Actor, ResourceNotFound } from '@app/common';
import { KeyRotation, KeyRotationRunner, viewOf, type KeyRotationView } from '@app/crypto';

/** Starts KEK rotations, one at a time (the worker does the re-wrapping), and reports their progress. */
@Injectable()
export class KeyRotationService implements OnApplicationBootstrap {
  constructor(
    private readonly runner: KeyRotationRunner,
    private readonly jobs: JobQueues,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly em: EntityManager,
  ) {}

  async start(actor: Actor, options: { reencrypt: boolean }): Promise<KeyRotationView> {
    const rotation = await this.runner.begin({
      reencrypt: options.reencrypt,
      requestedBy: actor.principal?.id ?? null,
      now: this.clock.now(),
    });
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'keys.rotate',
      resourceType: 'key_rotation',
      resourceIds: [rotation.id],
      outcome: 'success',
      statusCode: 202,
    });
    await this.jobs.enqueue('keys.rotate', { rotationId: rotation.id, reason: 'kek_rotation' }, rotation.id);
    return viewOf(rotation);
  }

  async status(id: string): Promise<KeyRotationView> {
    const rotation = await this.runner.find(id);
    if (!rotation) throw new ResourceNotFound('key rotation');
    return viewOf(rotation);
  }

  /** A run whose job was never enqueued (a crash between the two) is enqueued again; the job id dedupes. */
  async onApplicationBootstrap(): Promise<void> {
    const running = await this.em.fork().find(KeyRotation, { status: 'running' });
    for (const rotation of running) {
      await this.jobs.enqueue(
        'keys.rotate',
        { rotationId: rotation.id, reason: 'kek_rotation' },
        rotation.id,
      );
    }
  }
}
