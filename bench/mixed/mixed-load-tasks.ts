import type { RawTarget, SignedTarget, UpdateChanges } from '../sync/sync-load-tasks';
import type { MixStats } from './mix';

/** The mixed load's work in its load process, one task at a time over IPC. */
export type MixedLoadTask =
  | {
      kind: 'http-mixed';
      target: SignedTarget;
      /** Members the API reads and changes (the API half). */
      ids: string[];
      changes: UpdateChanges[];
      connections: number;
      warmupSeconds: number;
      seconds: number;
      seed: number;
    }
  | {
      kind: 'pg-mixed';
      target: RawTarget;
      /** Members the raw reads select (the same as the API's). */
      readIds: string[];
      /** Members the raw writes change (the raw half: bytes that are no ciphertext). */
      writeIds: string[];
      connections: number;
      warmupSeconds: number;
      seconds: number;
      seed: number;
    };

export interface MixedRunResult extends MixStats {
  /** Requests (or raw operations) in the unmeasured warm-up. */
  warmupRequests: number;
  /** HTTP status codes, or `committed` / `error:<code>` for raw. */
  statusCodes: Record<string, number>;
  /** Update results of the API's answers (`applied`, …), single and batch items together. */
  results: Record<string, number>;
  /** CPU of the load process itself, as a share of one core. */
  clientCpu: number;
}
