import { sendJobId } from '../deliveries/delivery-message';
import { outboxIdOf } from '../outbox/outbox-id';
import {
  deliveredBy,
  deliveryLagSeconds,
  outboxTimeMs,
  parseSendJobId,
  subscriptionHealthOf,
  tallyDeliveryJobs,
} from './subscription-health';
import type { WebhookPostResult } from './safe-webhook.client';

const SUB_A = 'sub_01JD3Q4Z5X6C7V8B9N0M1K2J3A';
const SUB_B = 'sub_01JD3Q4Z5X6C7V8B9N0M1K2J3B';
const T0 = Date.parse('2026-11-30T12:00:00Z');
const outbox = (ms: number, random = 7n) => outboxIdOf(ms, random);

describe('parseSendJobId', () => {
  it.each([1, 2, 10])('reads back what sendJobId wrote for attempt %p', (attempt) => {
    const outboxId = outbox(T0);
    expect(parseSendJobId(sendJobId(outboxId, SUB_A, attempt))).toEqual({
      outboxId,
      subscriptionId: SUB_A,
      attempt,
    });
  });

  it.each([
    [1, 1],
    [1, 4],
    [3, 2],
  ])('reads back a delivery resumed from parking (resume %p, attempt %p)', (resumed, attempt) => {
    const outboxId = outbox(T0);
    expect(parseSendJobId(sendJobId(outboxId, SUB_A, attempt, resumed))).toEqual({
      outboxId,
      subscriptionId: SUB_A,
      attempt,
    });
  });

  it.each([
    ['a fan-out job (outbox id alone)', outbox(T0)],
    ['a resume job', `resume-parked.vnd_01JD3Q4Z5X6C7V8B9N0M1K2J3A.29412345`],
    ['a repeatable job', 'repeat:abc:123'],
    ['a foreign subscription prefix', `${outbox(T0)}.prt_01JD3Q4Z5X6C7V8B9N0M1K2J3A`],
    ['trailing garbage', `${outbox(T0)}.${SUB_A}.x`],
  ])('ignores %s', (_what, id) => {
    expect(parseSendJobId(id)).toBeNull();
  });
});

describe('outboxTimeMs', () => {
  it.each([0, T0, 2 ** 48 - 1])('decodes the millisecond an outbox id was made at (%p)', (ms) => {
    expect(outboxTimeMs(outboxIdOf(ms, 123456789n))).toBe(ms);
  });
});

describe('tallyDeliveryJobs', () => {
  it('counts waiting changes once per subscription, finds the oldest, and counts dead letters', () => {
    const older = outbox(T0 - 60_000);
    const newer = outbox(T0 - 5_000);
    const dead = outbox(T0 - 3_600_000);
    const sut = tallyDeliveryJobs(
      [
        sendJobId(newer, SUB_A, 1),
        sendJobId(older, SUB_A, 3),
        // The same change seen in two states during a move (delayed -> waiting) counts once.
        sendJobId(older, SUB_A, 3),
        sendJobId(newer, SUB_B, 1),
        newer, // its fan-out
      ],
      [sendJobId(dead, SUB_B, 4), 'some-other-failed-job'],
    );
    expect(Object.fromEntries(sut)).toEqual({
      [SUB_A]: { pending: 2, oldestPendingMs: T0 - 60_000, deadLetters: 0 },
      [SUB_B]: { pending: 1, oldestPendingMs: T0 - 5_000, deadLetters: 1 },
    });
  });

  it('knows a subscription with only dead letters, and nothing waiting', () => {
    const sut = tallyDeliveryJobs([], [sendJobId(outbox(T0), SUB_A, 4), sendJobId(outbox(T0 + 1), SUB_A, 4)]);
    expect(sut.get(SUB_A)).toEqual({ pending: 0, oldestPendingMs: null, deadLetters: 2 });
  });
});

describe('deliveryLagSeconds', () => {
  it.each([
    ['nothing waits', null, 0],
    ['the oldest waits 90.9 s', T0 - 90_900, 90],
    ['the oldest was made just now', T0, 0],
    ['the oldest is ahead of this clock', T0 + 5_000, 0],
  ])('is right when %s', (_when, oldest, lag) => {
    expect(deliveryLagSeconds(T0, oldest)).toBe(lag);
  });
});

describe('deliveredBy', () => {
  it.each<[WebhookPostResult, boolean]>([
    [{ outcome: 'response', status: 200, retryAfterSeconds: null }, true],
    [{ outcome: 'response', status: 204, retryAfterSeconds: null }, true],
    [{ outcome: 'response', status: 299, retryAfterSeconds: null }, true],
    [{ outcome: 'response', status: 301, retryAfterSeconds: null }, false],
    [{ outcome: 'response', status: 410, retryAfterSeconds: null }, false],
    [{ outcome: 'response', status: 503, retryAfterSeconds: 30 }, false],
    [{ outcome: 'refused', reason: 'non_public_address' }, false],
    [{ outcome: 'failed', reason: 'timeout', code: null }, false],
  ])('counts %j as delivered: %p', (result, delivered) => {
    expect(deliveredBy(result)).toBe(delivered);
  });
});

describe('subscriptionHealthOf', () => {
  const never = { lastSuccessAt: null, lastFailureAt: null, consecutiveFailures: 0, failingSince: null };

  it.each([
    ['active, even with a stale reason', 'active', 'gone', 'active', null],
    ['disabled by 410 Gone', 'disabled', 'gone', 'disabled', 'gone'],
    ['disabled while failing', 'disabled', 'failing', 'disabled', 'failing'],
    ['deleted by its partner', 'disabled', 'deleted', 'disabled', 'deleted'],
    ['disabled with no reason recorded', 'disabled', null, 'disabled', 'unknown'],
  ] as const)('maps a subscription %s', (_what, status, reason, shownStatus, shownReason) => {
    const sut = subscriptionHealthOf({ status, disabledReason: reason, ...never }, undefined, T0);
    expect({ status: sut.status, disabledReason: sut.disabledReason }).toEqual({
      status: shownStatus,
      disabledReason: shownReason,
    });
  });

  it('puts the endpoint record and the queue tally together', () => {
    const sut = subscriptionHealthOf(
      {
        status: 'active',
        disabledReason: null,
        lastSuccessAt: new Date(T0 - 7_200_000),
        lastFailureAt: new Date(T0 - 1_000),
        consecutiveFailures: 3,
        failingSince: new Date(T0 - 600_000),
      },
      { pending: 2, oldestPendingMs: T0 - 601_500, deadLetters: 1 },
      T0,
    );
    expect(sut).toEqual({
      status: 'active',
      disabledReason: null,
      lastSuccessAt: '2026-11-30T10:00:00.000Z',
      lastFailureAt: '2026-11-30T11:59:59.000Z',
      lagSeconds: 601,
      pendingDeliveries: 2,
      deadLetters: 1,
      consecutiveFailures: 3,
      failingSince: '2026-11-30T11:50:00.000Z',
    });
  });

  it('reports a subscription nothing was ever sent to as idle, not failing', () => {
    expect(subscriptionHealthOf({ status: 'active', disabledReason: null, ...never }, undefined, T0)).toEqual(
      {
        status: 'active',
        disabledReason: null,
        lastSuccessAt: null,
        lastFailureAt: null,
        lagSeconds: 0,
        pendingDeliveries: 0,
        deadLetters: 0,
        consecutiveFailures: 0,
        failingSince: null,
      },
    );
  });
});
