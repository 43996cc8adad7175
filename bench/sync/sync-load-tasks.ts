import type { RunStats } from '../support/latency-stats';

/** The changes one update carries (synthetic values from the seeded generator; see update-bodies.ts). */
export interface UpdateChanges {
  contact: { phone: string };
  coverage: { planCode: string; coverageTier: string };
}

/** Where the API is and how a request is authenticated and signed (the bench partner's own secret). */
export interface SignedTarget {
  baseUrl: string;
  ca: string;
  token: string;
  webhookSecret: string;
}

/** What the raw baseline writes beside the API: the bench database and the same rows' shapes. */
export interface RawTarget {
  databaseUrl: string;
  partnerId: string;
  /** The encrypted columns the updates change, each with the ciphertext length the API writes there. */
  columns: Array<{ column: string; bytes: number }>;
  /** The `member_change.fields` and audit categories of one update. */
  fields: string[];
  categories: string[];
  /** The sender recorded on the change, the stamps and the outbox row (the bench client's). */
  sender: string;
  clientId: string;
}

/** Work the sync bench's load process does, one task at a time, over IPC. */
export type SyncLoadTask =
  | {
      kind: 'http-updates';
      target: SignedTarget;
      ids: string[];
      changes: UpdateChanges[];
      connections: number;
      warmupSeconds: number;
      seconds: number;
    }
  | {
      kind: 'pg-updates';
      target: RawTarget;
      ids: string[];
      connections: number;
      warmupSeconds: number;
      seconds: number;
    }
  | {
      kind: 'http-batches';
      target: SignedTarget;
      ids: string[];
      changes: UpdateChanges[];
      batchSize: number;
      connections: number;
      warmupBatches: number;
      seconds: number;
    }
  | {
      kind: 'pg-batches';
      target: RawTarget;
      ids: string[];
      batchSize: number;
      connections: number;
      warmupBatches: number;
      seconds: number;
    };

/** A run of single updates (HTTP requests or raw transactions); latencies of successful ones. */
export interface UpdateRunResult extends RunStats {
  warmupRequests: number;
  /** Responses by status code (HTTP), or `committed` / `error:<code>` (raw). */
  statusCodes: Record<string, number>;
  /** Answers by item result (`applied`, `duplicate`, `conflict`, `rejected`), HTTP only. */
  results: Record<string, number>;
  /** CPU the load process itself used, as a share of one core. */
  clientCpu: number;
}

/** A run of batches: throughput in updates (items) per second; latency per batch. */
export interface BatchRunResult {
  batches: RunStats;
  updates: number;
  updatesPerSecond: number;
  results: Record<string, number>;
  statusCodes: Record<string, number>;
  /** Bytes of one batch body (the largest sent). */
  bodyBytes: number;
}

export type SyncLoadResult = UpdateRunResult | BatchRunResult;
