import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig, Clock } from '@app/common';
import { CheckpointSigner, type Checkpoint } from './checkpoint-signer';

const FILE = /^checkpoint-(\d{15})\.json$/;

/** Signs the chain head and stores the checkpoint twice: in the database and as a file outside it. */
@Injectable()
export class CheckpointsService {
  private readonly logger = new Logger('AuditCheckpoints');
  private signerInstance?: CheckpointSigner;

  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  get signer(): CheckpointSigner {
    this.signerInstance ??= new CheckpointSigner(this.config.audit.signingKeyFile);
    return this.signerInstance;
  }

  /** Checkpoints the current head unless it already is; idempotent, so a retried job is harmless. */
  async checkpointHead(): Promise<Checkpoint | null> {
    const [head] = await this.em
      .fork()
      .execute<Array<{ seq: string; hash: Buffer }>>('select seq, hash from audit_chain_head where id = 1');
    const seq = Number(head.seq);
    if (seq === 0) return null;
    const existing = await this.em
      .fork()
      .execute<Array<{ seq: string; hash: Buffer; created_at: Date; key_id: string; signature: string }>>(
        'select seq, hash, created_at, key_id, signature from audit_checkpoint where seq = ?',
        [seq],
      );
    const checkpoint: Checkpoint = existing[0]
      ? {
          seq,
          hash: existing[0].hash.toString('hex'),
          time: new Date(existing[0].created_at).toISOString(),
          keyId: existing[0].key_id,
          signature: existing[0].signature,
        }
      : this.signer.sign(seq, head.hash, this.clock.now());
    if (!existing[0]) {
      await this.em
        .fork()
        .execute(
          'insert into audit_checkpoint (seq, hash, created_at, key_id, signature) values (?, ?, ?, ?, ?) on conflict (seq) do nothing',
          [
            seq,
            Buffer.from(checkpoint.hash, 'hex'),
            new Date(checkpoint.time),
            checkpoint.keyId,
            checkpoint.signature,
          ],
        );
    }
    this.writeExternal(checkpoint);
    this.logger.log({ seq }, 'audit checkpoint signed');
    return checkpoint;
  }

  /** Checkpoints from the database. */
  async stored(): Promise<Checkpoint[]> {
    const rows = await this.em
      .fork()
      .execute<Array<{ seq: string; hash: Buffer; created_at: Date; key_id: string; signature: string }>>(
        'select seq, hash, created_at, key_id, signature from audit_checkpoint order by seq',
      );
    return rows.map((r) => ({
      seq: Number(r.seq),
      hash: r.hash.toString('hex'),
      time: new Date(r.created_at).toISOString(),
      keyId: r.key_id,
      signature: r.signature,
    }));
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

  private writeExternal(checkpoint: Checkpoint): void {
    const dir = this.config.audit.checkpointDir;
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const file = join(dir, `checkpoint-${String(checkpoint.seq).padStart(15, '0')}.json`);
    if (existsSync(file)) return;
    writeFileSync(`${file}.tmp`, `${JSON.stringify(checkpoint)}\n`, { mode: 0o640 });
    renameSync(`${file}.tmp`, file);
  }
}
