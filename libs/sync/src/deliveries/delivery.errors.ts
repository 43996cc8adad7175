import { UnrecoverableError } from 'bullmq';

/**
 * The last attempt of the schedule failed: the job goes to BullMQ's failed set (the dead letters)
 * without BullMQ's own retries. The message holds the outcome only (status or error code), never a body.
 */
export class DeliveryDeadLettered extends UnrecoverableError {
  constructor(outcome: string) {
    super(`${DEAD_LETTER_MESSAGE}${outcome}`);
  }
}

const DEAD_LETTER_MESSAGE = 'delivery dead-lettered after its last attempt: ';
const OUTCOME = /^(status_\d{3}|timeout|dns|tls|connection|refused_[a-z_]+)(_[A-Z0-9_]{1,60})?$/;

/**
 * The outcome a dead letter shows: the one our own error recorded, if it reads as one; any other
 * failure (ours: a database or Redis error, whose message is never shown) is `internal_error`.
 */
export function lastOutcomeOf(failedReason: string | undefined): string {
  if (!failedReason?.startsWith(DEAD_LETTER_MESSAGE)) return 'internal_error';
  const outcome = failedReason.slice(DEAD_LETTER_MESSAGE.length);
  return OUTCOME.test(outcome) ? outcome : 'internal_error';
}
