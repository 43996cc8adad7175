import type { RunStats } from './latency-stats';

/** Work the load process does for the benchmark, one task at a time, over IPC. */
export type LoadTask =
  | {
      kind: 'http-reads';
      baseUrl: string;
      token: string;
      ids: string[];
      connections: number;
      warmupSeconds: number;
      seconds: number;
    }
  | {
      kind: 'pg-reads';
      databaseUrl: string;
      ids: string[];
      connections: number;
      warmupSeconds: number;
      seconds: number;
    }
  | {
      kind: 'list-walks';
      baseUrl: string;
      ca: string;
      token: string;
      walks: number;
      pagesPerWalk: number;
      limit: number;
    };

export interface ReadResult extends RunStats {
  /** Requests (or queries) in the unmeasured warm-up before the measured run. */
  warmupRequests: number;
  /** Responses by status code (HTTP) or row count problems (pg). */
  statusCodes: Record<string, number>;
  /** CPU the load process itself used, as a share of one core. */
  clientCpu: number;
}

export interface ListResult {
  all: RunStats;
  firstPage: RunStats;
  cursorPages: RunStats;
  membersPerPage: number;
}

export type LoadResult = ReadResult | ListResult;

export type LoadRequest = { id: number; task: LoadTask };
export type LoadResponse = { id: number; result: LoadResult } | { id: number; error: string };
