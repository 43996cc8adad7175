import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Client, type ClientConfig } from 'pg';
import { DomainError, newId } from '@app/common';
import { KeyProvider } from './key-provider';
import { KeyRotation } from './key-rotation.entity';
import { WrappedSecretOwners } from './wrapped-secret-owners';

const BATCH = 200;

/**
 * Postgres advisory-lock keys (two-int form, namespace 'kek'): one serializes starting a run (the
 * keyring change and the 'running' row), the other is held by the worker that re-wraps.
 */
export const KEK_START_LOCK: [number, number] = [0x6b656b, 1];
export const KEK_REWRAP_LOCK: [number, number] = [0x6b656b, 2];

/** 409: a rotation is already running (or being started by another process at this moment). */
export class RotationInProgress extends DomainError {
  readonly type = 'rotation-in-progress' as const;
  constructor(readonly rotationId: string | null) {
    super(
      rotationId
        ? `Key rotation ${rotationId} is still running; follow it at /api/v1/admin/keys/rotations/${rotationId} and start another once it has finished.`
        : 'Another key rotation is being started right now; try again once it has finished.',
    );
    if (rotationId) this.extensions.rotationId = rotationId;
  }
}

/** Another worker holds the re-wrap lock; BullMQ retries the job later (it then finds the run done). */
export class RotationBusy extends Error {
  constructor() {
    super('another worker is re-wrapping this key rotation');
    this.name = 'RotationBusy';
  }
}

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

  /**
   * Starts a run unless one is running or being started (RotationInProgress): under a transaction
   * advisory lock, so two API processes or CLIs never both change the keyring or both start a run.
   */
  async begin(options: { reencrypt: boolean; requestedBy: string | null; now: Date }): Promise<KeyRotation> {
    // Counted before taking the lock (owners use their own connections); the run corrects the total.
    let total = 0;
    for (const owner of this.owners.all()) total += await owner.count();
    return this.em.fork().transactional(async (em) => {
      const [{ locked }] = await em.execute<Array<{ locked: boolean }>>(
        'select pg_try_advisory_xact_lock(?, ?) as locked',
        KEK_START_LOCK,
      );
      if (!locked) throw new RotationInProgress(null);
      const running = await em.findOne(KeyRotation, { status: 'running' }, { fields: ['id'] });
      if (running) throw new RotationInProgress(running.id);
      await this.keyProvider.rotate();
      const rotation = this.newRun(options, total);
      await em.insert(KeyRotation, rotation);
      return rotation;
    });
  }

  private newRun(
    options: { reencrypt: boolean; requestedBy: string | null; now: Date },
    total: number,
  ): KeyRotation {
    return Object.assign(new KeyRotation(), {
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
  }

  async find(id: string): Promise<KeyRotation | null> {
    return this.em.fork().findOne(KeyRotation, { id });
  }

  /**
   * Runs (or resumes) a rotation to the end; `progress` is told the percentage after each batch.
   * Holds the re-wrap lock throughout, so two workers never re-wrap at once (RotationBusy otherwise).
   */
  async run(id: string, now: () => Date, progress: (percent: number) => Promise<void>): Promise<KeyRotation> {
    const lock = await this.holdRewrapLock();
    try {
      return await this.runLocked(id, now, progress, lock.held);
    } finally {
      await lock.release();
    }
  }

  private async runLocked(
    id: string,
    now: () => Date,
    progress: (percent: number) => Promise<void>,
    lockHeld: () => boolean,
  ): Promise<KeyRotation> {
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
        // Without the lock another worker may take over: stop; BullMQ retries from the cursor.
        if (!lockHeld()) throw new RotationBusy();
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

  /**
   * A session advisory lock on a connection of its own (not from the pool, which the batches use):
   * it lasts as long as the run, and closing the connection releases it even after a crash.
   */
  private async holdRewrapLock(): Promise<{ held: () => boolean; release: () => Promise<void> }> {
    const driver: { connection?: ClientConfig } = this.em.config.get('driverOptions');
    const client = new Client({
      ...(this.em.getConnection().getConnectionOptions() as ClientConfig),
      ...driver.connection,
      application_name: 'kek-rotation',
    });
    let held = true;
    // A dropped connection loses the lock: the run stops before its next batch.
    client.on('error', () => (held = false));
    client.on('end', () => (held = false));
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1, $2) as locked',
        KEK_REWRAP_LOCK,
      );
      if (!rows[0].locked) throw new RotationBusy();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return { held: () => held, release: () => client.end() };
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
