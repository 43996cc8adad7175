import {
  allowedActions,
  nextStatus,
  type RightsRequestAction,
  type RightsRequestKind,
  type RightsRequestStatus,
} from './rights-request-state';

describe('rights request state machine', () => {
  const sut = nextStatus;

  it.each<[RightsRequestKind, RightsRequestStatus, RightsRequestAction, RightsRequestStatus | null]>([
    ['access', 'received', 'review', 'in_review'],
    ['access', 'in_review', 'fulfil', 'fulfilled'],
    ['access', 'fulfilled', 'fulfil', 'fulfilled'],
    ['access', 'received', 'fulfil', null],
    ['access', 'in_review', 'deny', 'denied'],
    ['access', 'in_review', 'accept', null],
    ['access', 'in_review', 'complete', null],
    ['amendment', 'in_review', 'accept', 'applied'],
    ['amendment', 'received', 'accept', null],
    ['amendment', 'in_review', 'deny', 'denied'],
    ['amendment', 'applied', 'deny', null],
    ['amendment', 'denied', 'accept', null],
    ['amendment', 'in_review', 'fulfil', null],
    ['deletion', 'in_review', 'complete', 'completed'],
    ['deletion', 'in_review', 'refuse', 'refused'],
    ['deletion', 'received', 'complete', null],
    ['deletion', 'completed', 'complete', null],
    ['deletion', 'in_review', 'deny', null],
    ['access', 'received', 'withdraw', 'withdrawn'],
    ['amendment', 'in_review', 'withdraw', 'withdrawn'],
    ['deletion', 'completed', 'withdraw', null],
    ['access', 'fulfilled', 'withdraw', null],
    ['access', 'withdrawn', 'review', null],
    ['amendment', 'received', 'extend', 'received'],
    ['deletion', 'in_review', 'extend', 'in_review'],
    ['access', 'fulfilled', 'extend', null],
    ['access', 'in_review', 'review', null],
  ])('%s in %s: %s → %s', (kind, status, action, expected) => {
    expect(sut(kind, status, action)).toBe(expected);
  });

  it('lists the actions a request allows now', () => {
    expect(allowedActions('amendment', 'in_review').sort()).toEqual(['accept', 'deny', 'extend', 'withdraw']);
    expect(allowedActions('deletion', 'completed')).toEqual([]);
  });
});
