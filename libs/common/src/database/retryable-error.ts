/**
 * PostgreSQL aborted the work to break a deadlock (40P01) or a serialization conflict (40001): nothing
 * of it was written, and running it again in a new transaction is what the server asks for. Raw `pg`
 * errors and MikroORM's DeadlockException both carry the SQLSTATE as `code`. Several processes (API
 * replicas, workers) writing members and the one audit chain head meet such cycles now and then.
 */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Attempts a unit of work gets when PostgreSQL keeps aborting it that way, before its caller sees the error. */
export const MAX_TRANSACTION_ATTEMPTS = 4;

/** A short random pause before attempt `attempt` (2, 3, ...), so the two sides of a cycle do not meet again at once. */
export function retryPause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 20 * attempt)));
}
