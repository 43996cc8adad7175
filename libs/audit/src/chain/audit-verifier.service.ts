import { Injectable } from '@nestjs/common';
import { IsolationLevel } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@app/common';
import { chainHash, GENESIS_HASH } from './audit-chain';
import type { Checkpoint } from './checkpoint-signer';
import { AUDIT_ROW_COLUMNS, chainedFromRow, type AuditRow } from './audit-row';
import { CheckpointsService } from './checkpoints.service';

export interface VerificationResult {
  ok: boolean;
  /** The first sequence number that fails; null when the trail verifies. */
  firstBrokenSeq: number | null;
  problem: string | null;
  fromSeq: number;
  lastSeq: number;
  eventsChecked: number;
  checkpointsChecked: number;
  incremental: boolean;
}

const BATCH = 5000;

/**
 * Recomputes the hash chain and checks every checkpoint signature, naming the first broken
 * sequence number: an edited, deleted or reordered row breaks the chain where it happened, a
 * rewritten-and-rehashed history disagrees with a signed checkpoint, and a cut tail leaves a
 * checkpoint (from the external directory) beyond the last event.
 * The walk reads one snapshot of the trail (a read-only REPEATABLE READ transaction): writers keep
 * appending while it runs, and an event committed between two of its reads must not look like a
 * cut tail. Checkpoints are read first, so every one of them is inside that snapshot.
 */
@Injectable()
export class AuditVerifierService {
  constructor(
    private readonly em: EntityManager,
    private readonly checkpoints: CheckpointsService,
    private readonly clock: Clock,
  ) {}

  async verify(
    options: { full?: boolean; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<VerificationResult> {
    const em = this.em.fork();
    const signer = this.checkpoints.signer;
    const bySeq = new Map<number, Checkpoint>();
    let checkpointsChecked = 0;
    const fail = (
      seq: number | null,
      problem: string,
      extra: Partial<VerificationResult> = {},
    ): VerificationResult => ({
      ok: false,
      firstBrokenSeq: seq,
      problem,
      fromSeq: 0,
      lastSeq: 0,
      eventsChecked: 0,
      checkpointsChecked,
      incremental: false,
      ...extra,
    });
    for (const checkpoint of [...this.checkpoints.external(), ...(await this.checkpoints.stored())]) {
      if (!signer.verify(checkpoint)) return fail(checkpoint.seq, 'a checkpoint signature does not verify');
      const known = bySeq.get(checkpoint.seq);
      if (known && known.hash !== checkpoint.hash)
        return fail(checkpoint.seq, 'the stored and external checkpoints disagree');
      bySeq.set(checkpoint.seq, checkpoint);
      // A checkpoint stored in the database and as a file is one checkpoint.
      checkpointsChecked = bySeq.size;
    }

    const walked = await em.transactional((tx) => this.walk(tx, bySeq, options, fail), {
      isolationLevel: IsolationLevel.REPEATABLE_READ,
      readOnly: true,
    });
    if (!walked.ok) return walked;
    const newest = [...bySeq.values()]
      .filter((c) => c.seq <= walked.lastSeq)
      .sort((a, b) => b.seq - a.seq)[0];
    if (newest) {
      await em.execute(
        `insert into audit_verification (id, verified_seq, verified_hash, verified_at) values (1, ?, ?, ?)
         on conflict (id) do update set verified_seq = excluded.verified_seq, verified_hash = excluded.verified_hash, verified_at = excluded.verified_at`,
        [newest.seq, Buffer.from(newest.hash, 'hex'), this.clock.now()],
      );
    }
    return walked;
  }

  /** Recomputes the chain from the trusted start (or the first hashed event) inside `em`'s snapshot. */
  private async walk(
    em: EntityManager,
    bySeq: Map<number, Checkpoint>,
    options: { full?: boolean; onProgress?: (done: number, total: number) => void },
    fail: (seq: number | null, problem: string, extra?: Partial<VerificationResult>) => VerificationResult,
  ): Promise<VerificationResult> {
    // Incremental: start after the last checkpoint a previous run verified, trusting its signed hash.
    const [state] = options.full
      ? []
      : await em.execute<Array<{ verified_seq: string; verified_hash: Buffer }>>(
          'select verified_seq, verified_hash from audit_verification where id = 1',
        );
    const trusted =
      state && bySeq.get(Number(state.verified_seq))?.hash === state.verified_hash.toString('hex')
        ? state
        : undefined;
    const [{ first }] = await em.execute<Array<{ first: string | null }>>(
      'select min(seq) as first from audit_event where hash is not null',
    );
    let expected = trusted ? Number(trusted.verified_seq) + 1 : Number(first ?? 1);
    let previous = trusted ? trusted.verified_hash : GENESIS_HASH;
    const fromSeq = expected;
    const [{ total }] = await em.execute<Array<{ total: string }>>(
      'select count(*) as total from audit_event where seq >= ?',
      [fromSeq],
    );
    let checked = 0;
    for (;;) {
      const rows = await em.execute<AuditRow[]>(
        `select ${AUDIT_ROW_COLUMNS} from audit_event where seq >= ? order by seq limit ?`,
        [expected, BATCH],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expected)
          return fail(expected, 'an event is missing (deleted or moved)', {
            fromSeq,
            lastSeq: seq,
            eventsChecked: checked,
          });
        const recomputed = chainHash(previous, chainedFromRow(row));
        if (!row.hash || !recomputed.equals(row.hash))
          return fail(seq, 'an event does not match its hash (edited or reordered)', {
            fromSeq,
            lastSeq: seq,
            eventsChecked: checked,
          });
        const checkpoint = bySeq.get(seq);
        if (checkpoint && checkpoint.hash !== recomputed.toString('hex')) {
          return fail(seq, 'the chain disagrees with a signed checkpoint (history rewritten)', {
            fromSeq,
            lastSeq: seq,
            eventsChecked: checked,
          });
        }
        previous = recomputed;
        expected = seq + 1;
        checked++;
      }
      options.onProgress?.(checked, Number(total));
    }
    const lastSeq = expected - 1;
    const beyond = [...bySeq.keys()].filter((seq) => seq > lastSeq).sort((a, b) => a - b)[0];
    if (beyond !== undefined) {
      return fail(lastSeq + 1, `events after ${lastSeq} are gone: a signed checkpoint covers ${beyond}`, {
        fromSeq,
        lastSeq,
        eventsChecked: checked,
      });
    }
    const [head] = await em.execute<Array<{ seq: string }>>('select seq from audit_chain_head where id = 1');
    if (Number(head.seq) > lastSeq)
      return fail(lastSeq + 1, 'events after the last row are gone (the chain head is further)', {
        fromSeq,
        lastSeq,
        eventsChecked: checked,
      });
    // The writer moves the head in the statement that inserts the rows: in one snapshot, a row past
    // the head was inserted by hand (and would make the next genuine append collide with it).
    if (Number(head.seq) < lastSeq)
      return fail(Number(head.seq) + 1, 'events past the chain head were not appended by the writer', {
        fromSeq,
        lastSeq,
        eventsChecked: checked,
      });
    return {
      ok: true,
      firstBrokenSeq: null,
      problem: null,
      fromSeq,
      lastSeq,
      eventsChecked: checked,
      checkpointsChecked: bySeq.size,
      incremental: Boolean(trusted),
    };
  }
}
