import { DELIVERY_OUTCOME_LABELS, failureLabel, outcomeLabel } from './delivery-outcomes';
import { DeliveryDeadLettered } from './delivery.errors';
import type { DeliveryOutcome } from './delivery-send.job';

describe('delivery outcome labels', () => {
  it.each<[DeliveryOutcome, string]>([
    [{ outcome: 'delivered', status: 204 }, 'delivered'],
    [{ outcome: 'retry_scheduled', attempt: 2, delayMs: 5000 }, 'retry_scheduled'],
    [{ outcome: 'gone' }, 'disabled_gone'],
    [{ outcome: 'disabled_failing', failingForMs: 3_600_000 }, 'disabled_failing'],
    [{ outcome: 'parked', reason: 'baa_not_in_effect' }, 'parked'],
    [{ outcome: 'skipped', reason: 'consent_not_active' }, 'skipped'],
  ])('labels %j as %s', (result, label) => {
    expect(outcomeLabel(result)).toBe(label);
  });

  it('labels a last attempt that failed as dead_lettered, any other throw as error', () => {
    expect(failureLabel(new DeliveryDeadLettered('status_503'))).toBe('dead_lettered');
    expect(failureLabel(new Error('connection terminated'))).toBe('error');
    expect(failureLabel('not an error')).toBe('error');
  });

  it('uses a closed set of labels, each an enum word', () => {
    expect(new Set(DELIVERY_OUTCOME_LABELS).size).toBe(DELIVERY_OUTCOME_LABELS.length);
    for (const label of DELIVERY_OUTCOME_LABELS) expect(label).toMatch(/^[a-z_]+$/);
  });
});
