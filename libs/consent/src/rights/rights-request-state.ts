/** The kinds of member rights requests: §164.524 access, §164.526 amendment, deletion (crypto-shred). */
export const RIGHTS_REQUEST_KINDS = ['access', 'amendment', 'deletion'] as const;
export type RightsRequestKind = (typeof RIGHTS_REQUEST_KINDS)[number];

export const RIGHTS_REQUEST_STATUSES = [
  'received',
  'in_review',
  'fulfilled',
  'applied',
  'denied',
  'completed',
  'refused',
  'withdrawn',
] as const;
export type RightsRequestStatus = (typeof RIGHTS_REQUEST_STATUSES)[number];

/** What an officer does to a request; each is one route (POST /admin/rights-requests/{id}/<action>). */
export type RightsRequestAction =
  'review' | 'fulfil' | 'accept' | 'deny' | 'complete' | 'refuse' | 'withdraw' | 'extend';

/** Statuses a request is still being worked in: it can be overdue, extended or withdrawn. */
export const OPEN_STATUSES: readonly RightsRequestStatus[] = ['received', 'in_review'];

export function isOpen(status: RightsRequestStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

type Table = Partial<Record<RightsRequestAction, Partial<Record<RightsRequestStatus, RightsRequestStatus>>>>;

/**
 * Per kind, action → (from → to). An access request may be fulfilled again (another one-time link)
 * while fulfilled; an amendment is accepted and applied in one transaction, so it goes straight to
 * `applied`; a deletion under a legal hold is `refused`. Withdrawal and extension apply to open
 * requests of every kind; an extension keeps the status (its once-only rule is `mayExtend`).
 */
const COMMON: Table = {
  review: { received: 'in_review' },
  withdraw: { received: 'withdrawn', in_review: 'withdrawn' },
  extend: { received: 'received', in_review: 'in_review' },
};

const TRANSITIONS: Record<RightsRequestKind, Table> = {
  access: {
    ...COMMON,
    fulfil: { in_review: 'fulfilled', fulfilled: 'fulfilled' },
    deny: { in_review: 'denied' },
  },
  amendment: {
    ...COMMON,
    accept: { in_review: 'applied' },
    deny: { in_review: 'denied' },
  },
  deletion: {
    ...COMMON,
    complete: { in_review: 'completed' },
    refuse: { in_review: 'refused' },
  },
};

/** The status after `action`, or null when the action is not allowed for this kind in this status. */
export function nextStatus(
  kind: RightsRequestKind,
  status: RightsRequestStatus,
  action: RightsRequestAction,
): RightsRequestStatus | null {
  return TRANSITIONS[kind][action]?.[status] ?? null;
}

/** The actions a request allows now (shown on the request, so a client need not know the table). */
export function allowedActions(kind: RightsRequestKind, status: RightsRequestStatus): RightsRequestAction[] {
  return (Object.keys(TRANSITIONS[kind]) as RightsRequestAction[]).filter(
    (action) => nextStatus(kind, status, action) !== null,
  );
}
