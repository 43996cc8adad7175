import { UnrecoverableError } from 'bullmq';
import { DeliveryDeadLettered, lastOutcomeOf } from './delivery.errors';

describe('dead letter outcomes', () => {
  it.each([
    ['a status', 'status_503'],
    ['a timeout', 'timeout_ETIMEDOUT'],
    ['a connection failure with its code', 'connection_ECONNREFUSED'],
    ['a refused address', 'refused_non_public_address'],
    ['a TLS failure', 'tls_DEPTH_ZERO_SELF_SIGNED_CERT'],
  ])('shows %s recorded by the last attempt', (_case, outcome) => {
    expect(lastOutcomeOf(new DeliveryDeadLettered(outcome).message)).toBe(outcome);
  });

  it.each([
    ['a database error, never its text', 'invalid input syntax for type uuid: "Zq-canary"'],
    ['no reason', undefined],
    [
      'our prefix with something unexpected after it',
      'delivery dead-lettered after its last attempt: Zq canary',
    ],
  ])('shows internal_error for %s', (_case, reason) => {
    expect(lastOutcomeOf(reason)).toBe('internal_error');
  });

  it('is unrecoverable for BullMQ, so the job skips its own retries', () => {
    expect(new DeliveryDeadLettered('status_500')).toBeInstanceOf(UnrecoverableError);
  });
});
