// The end-to-end mixed load's request mix: pure, so the unit test can hold it to 70 / 20 / 10.
import { runStats, type RunStats } from '../support/latency-stats';

export type MixKind = 'read' | 'update' | 'batch';

/** Shares of the mix: member reads, signed single updates, signed batches. */
export const MIX: Readonly<Record<MixKind, number>> = { read: 0.7, update: 0.2, batch: 0.1 };

/**
 * Updates per batch request. 50 keeps a batch a typical integration's push (a few KB) rather than a
 * backfill, so one batch costs about what 50 single updates' database work does, without one request
 * dominating the latency of the others on the same 32 connections.
 */
export const MIX_BATCH_SIZE = 50;

export const MIX_KINDS: readonly MixKind[] = ['read', 'update', 'batch'];

/** The kind for a uniform draw `r` in [0, 1): reads below 0.7, updates below 0.9, batches above. */
export function kindOf(r: number): MixKind {
  if (!(r >= 0 && r < 1)) throw new RangeError(`a draw in [0, 1) is needed, got ${r}`);
  if (r < MIX.read) return 'read';
  if (r < MIX.read + MIX.update) return 'update';
  return 'batch';
}

/** Latencies and failures per kind as a run goes, and the run's figures overall and per kind at the end. */
export class MixTally {
  private readonly latencies: Record<MixKind, number[]> = { read: [], update: [], batch: [] };
  private readonly errors: Record<MixKind, number> = { read: 0, update: 0, batch: 0 };

  ok(kind: MixKind, ms: number): void {
    this.latencies[kind].push(ms);
  }

  failed(kind: MixKind): void {
    this.errors[kind]++;
  }

  /** Requests answered (ok or failed) so far. */
  get count(): number {
    return MIX_KINDS.reduce((n, k) => n + this.latencies[k].length + this.errors[k], 0);
  }

  stats(seconds: number): MixStats {
    const byKind = Object.fromEntries(
      MIX_KINDS.map((k) => [k, runStats(this.latencies[k], seconds, this.errors[k])]),
    ) as Record<MixKind, RunStats>;
    const all = MIX_KINDS.flatMap((k) => this.latencies[k]);
    const errors = MIX_KINDS.reduce((n, k) => n + this.errors[k], 0);
    return { overall: runStats(all, seconds, errors), byKind };
  }
}

export interface MixStats {
  overall: RunStats;
  byKind: Record<MixKind, RunStats>;
}
