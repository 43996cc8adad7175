import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock } from '@app/common';
import { AlertsService } from '../alerts.service';
import { CheckpointSigner, type Checkpoint } from './checkpoint-signer';

const FILE = /^checkpoint-(\d{15})\.json$/;

type CheckpointRow = { seq: string; hash: Buffer; created_at: Date; key_id: string; signature: string };

/** How many of the newest stored checkpoints `chainStatus` checks for one whose signature verifies. */
const CHECKPOINTS_CHECKED = 5;

export interface AuditChainStatus {
  /** The sequence number of the newest event (0: none yet). */
  headSeq: number;
  /** When the newest event happened (null: none yet). */
  headAt: Date | null;
  /** The newest signed checkpoint (null: none yet). */
  checkpointSeq: number | null;
  checkpointAt: Date | null;
}

/**
 * Signs the chain head and stores the checkpoint twice: in the database and as a file outside it.
 * The file is always written from a fresh signature over the real head, never copied from the
 * table: anyone with the application role can insert a row there (it is append-only, not
 * read-only), so a stored row counts only once its signature verifies over the head's hash.
 */
@Injectable()
export class CheckpointsService {
  private readonly logger = new Logger('AuditCheckpoints');
  private signerInstance?: CheckpointSigner;

  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly alerts: AlertsService,
  ) {}

  get signer(): CheckpointSigner {
    this.signerInstance ??= new CheckpointSigner(this.config.audit.signingKeyFile);
    return this.signerInstance;
  }

  /**
   * Checkpoints the current head; idempotent, so a retried job is harmless. A forged row in the
   * table (at the head's sequence or ahead of it) raises an alert and never blocks the checkpoint:
   * the unique sequence keeps it there, so the external file alone carries the genuine one.
   */
  async checkpointHead(): Promise<Checkpoint | null> {
    const em = this.em.fork();
    const [head] = await em.execute<Array<{ seq: string; hash: Buffer }>>(
      'select seq, hash from audit_chain_head where id = 1',
    );
    const seq = Number(head.seq);
    if (seq === 0) return null;
    const checkpoint = this.signer.sign(seq, head.hash, this.clock.now());
    const inserted = await em.execute<Array<{ seq: string }>>(
      'insert into audit_checkpoint (seq, hash, created_at, key_id, signature) values (?, ?, ?, ?, ?) on conflict (seq) do nothing returning seq',
      [seq, head.hash, new Date(checkpoint.time), checkpoint.keyId, checkpoint.signature],
    );
    // Rows the insert did not write: the one already at the head's sequence, and any ahead of it.
    const suspects = await em.execute<CheckpointRow[]>(
      `select seq, hash, created_at, key_id, signature from audit_checkpoint where seq ${inserted.length ? '>' : '>='} ? order by seq`,
      [seq],
    );
    for (const row of suspects) {
      const stored = fromRow(row);
      if (stored.seq > seq) await this.report(stored.seq, 'a stored checkpoint is ahead of the chain head');
      else if (!this.signer.verify(stored))
        await this.report(seq, 'a stored checkpoint signature does not verify');
      else if (stored.hash !== checkpoint.hash)
        await this.report(seq, 'a stored checkpoint disagrees with the chain head');
    }
    await this.writeExternal(checkpoint);
    this.logger.log({ seq }, 'audit checkpoint signed');
    return checkpoint;
  }

  /** Checkpoints from the database. */
  async stored(): Promise<Checkpoint[]> {
    const rows = await this.em
      .fork()
      .execute<CheckpointRow[]>(
        'select seq, hash, created_at, key_id, signature from audit_checkpoint order by seq',
      );
    return rows.map(fromRow);
  }

  /**
   * Where the chain and its checkpoints stand, for monitoring: the head's sequence and the time of
   * its newest event, and the newest stored checkpoint whose signature verifies (of the newest few:
   * a row inserted by hand does not count as a checkpoint). One statement, index lookups only.
   */
  async chainStatus(): Promise<AuditChainStatus> {
    const rows = await this.em
      .fork()
      .execute<Array<{ head_seq: string; head_at: Date | null } & Partial<CheckpointRow>>>(
        `select h.seq as head_seq, (select e.occurred_at from audit_event e where e.seq = h.seq) as head_at,
         c.seq, c.hash, c.created_at, c.key_id, c.signature
       from audit_chain_head h
       left join lateral (
         select seq, hash, created_at, key_id, signature from audit_checkpoint order by seq desc limit ${CHECKPOINTS_CHECKED}
       ) c on true
       where h.id = 1
       order by c.seq desc nulls last`,
      );
    const [head] = rows;
    const signed = rows
      .filter((row): row is typeof row & CheckpointRow => row.seq !== null && row.seq !== undefined)
      .map(fromRow)
      .find((checkpoint) => checkpoint.seq <= Number(head.head_seq) && this.signer.verify(checkpoint));
    return {
      headSeq: Number(head.head_seq),
      headAt: head.head_at ? new Date(head.head_at) : null,
      checkpointSeq: signed?.seq ?? null,
      checkpointAt: signed ? new Date(signed.time) : null,
    };
  }

  /** Checkpoints from the external directory (what a database administrator cannot rewrite). */
  external(): Checkpoint[] {
    const dir = this.config.audit.checkpointDir;
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => FILE.test(f))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Checkpoint);
  }

  /**
   * Writes the checkpoint file unless one is there. A file whose signature verifies is kept even
   * when it disagrees with the head (it is the evidence of a rewritten history); one that does
   * not verify proves nothing, so it is set aside and replaced.
   */
  private async writeExternal(checkpoint: Checkpoint): Promise<void> {
    const dir = this.config.audit.checkpointDir;
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const file = join(dir, `checkpoint-${String(checkpoint.seq).padStart(15, '0')}.json`);
    if (existsSync(file)) {
      const existing = readCheckpoint(file);
      if (existing && this.signer.verify(existing)) {
        if (existing.hash !== checkpoint.hash)
          await this.report(checkpoint.seq, 'the external checkpoint disagrees with the chain head');
        return;
      }
      renameSync(file, `${file}.rejected-${this.clock.nowMs()}`);
      await this.report(checkpoint.seq, 'an external checkpoint file does not verify');
    }
    writeFileSync(`${file}.tmp`, `${JSON.stringify(checkpoint)}\n`, { mode: 0o640 });
    renameSync(`${file}.tmp`, file);
  }

  /** Raises a critical alert, or at least logs it: a failed alert must not stop the checkpoint. */
  private async report(seq: number, problem: string): Promise<void> {
    this.logger.error({ seq, problem }, 'audit checkpoint tampering detected');
    await this.alerts
      .raise('audit_checkpoint_invalid', 'critical', `checkpoint:${seq}`, { seq, problem }, 3_600_000)
      .catch((error: unknown) =>
        this.logger.error(
          { seq, error: error instanceof Error ? error.name : 'unknown' },
          'alert not raised',
        ),
      );
  }
}

function fromRow(row: CheckpointRow): Checkpoint {
  return {
    seq: Number(row.seq),
    hash: row.hash.toString('hex'),
    time: new Date(row.created_at).toISOString(),
    keyId: row.key_id,
    signature: row.signature,
  };
}

function readCheckpoint(file: string): Checkpoint | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  } catch {
    return null;
  }
}
