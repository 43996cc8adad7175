import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '@app/common';
import { KeyProvider } from './key-provider';
import { KeyRotation } from './key-rotation.entity';
import { WrappedSecretOwners } from './wrapped-secret-owners';

const BATCH = 200;

export interface KeyRotationView {
  id: string;
  status: KeyRotation['status'];
  reencrypt: boolean;
  total: number;
  done: number;
  percent: number;
  startedAt: string;
  finishedAt: string | null;
}

export function viewOf(rotation: KeyRotation): KeyRotationView {
  return {
    id: rotation.id,
    status: rotation.status,
    reencrypt: rotation.reencrypt,
    total: rotation.total,
    done: rotation.done,
    percent: rotation.total === 0 ? 100 : Math.min(100, Math.floor((rotation.done / rotation.total) * 100)),
    startedAt: rotation.startedAt.toISOString(),
    finishedAt: rotation.finishedAt?.toISOString() ?? null,
  };
}

/**
 * KEK rotation: a new KEK version becomes current at once (new wraps use it, old ones still
 * unwrap), then every wrapped secret is re-wrapped online, owner by owner, in batches. Progress
 * and the resume point are committed after each batch; a batch repeated after a crash is harmless
 * (re-wrapping is idempotent).
 */
@Injectable()
export class KeyRotationRunner {
  constructor(
    private readonly em: EntityManager,
    private readonly keyProvider: KeyProvider,
    private readonly owners: WrappedSecretOwners,
  ) {}

  async begin(options: { reencrypt: boolean; requestedBy: string | null; now: Date }): Promise<KeyRotation> {
    await this.keyProvider.rotate();
    let total = 0;
    for (const owner of this.owners.all()) total += await owner.count();
    const rotation = Object.assign(new KeyRotation(), {
      id: newId('rotation'),
      status: 'running' as const,
      reencrypt: options.reencrypt,
      total,
      done: 0,
      cursor: null,
      requestedBy: options.requestedBy,
      startedAt: options.now,
      finishedAt: null,
    });
    await this.em.fork().insert(KeyRotation, rotation);
    return rotation;
  }

  async find(id: string): Promise<KeyRotation | null> {
    return this.em.fork().findOne(KeyRotation, { id });
  }

  /** Runs (or resumes) a rotation to the end; `progress` is told the percentage after each batch. */
  async run(id: string, now: () => Date, progress: (percent: number) => Promise<void>): Promise<KeyRotation> {
    let rotation = await this.em.fork().findOneOrFail(KeyRotation, { id });
    if (rotation.status !== 'running') return rotation;
    const owners = this.owners.all();
    let index = rotation.cursor
      ? Math.max(
          0,
          owners.findIndex((o) => o.name === rotation.cursor!.owner),
        )
      : 0;
    let after = rotation.cursor?.after ?? null;
    for (; index < owners.length; index++) {
      const owner = owners[index];
      for (;;) {
        const batch = await owner.rewrapBatch(after, BATCH, { reencrypt: rotation.reencrypt });
        if (batch.count === 0) break;
        after = batch.last;
        rotation = await this.advance(rotation, batch.count, { owner: owner.name, after });
        await progress(viewOf(rotation).percent);
      }
      after = null;
    }
    await this.em
      .fork()
      .nativeUpdate(KeyRotation, { id }, { status: 'completed', finishedAt: now(), done: rotation.total });
    return this.em.fork().findOneOrFail(KeyRotation, { id });
  }

  async fail(id: string, now: Date): Promise<void> {
    await this.em
      .fork()
      .nativeUpdate(KeyRotation, { id, status: 'running' }, { status: 'failed', finishedAt: now });
  }

  private async advance(
    rotation: KeyRotation,
    count: number,
    cursor: KeyRotation['cursor'],
  ): Promise<KeyRotation> {
    // Members created during the run add to the total; done never passes it.
    const done = rotation.done + count;
    const total = Math.max(rotation.total, done);
    await this.em.fork().nativeUpdate(KeyRotation, { id: rotation.id }, { done, total, cursor });
    return Object.assign(rotation, { done, total, cursor });
  }
}
