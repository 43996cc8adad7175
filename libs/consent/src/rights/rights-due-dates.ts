import type { RightsRequestKind } from './rights-request-state';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Days from receipt to the answer: §164.524(b)(2) access 30, §164.526(b)(2) amendment 60. Deletion
 * is no HIPAA right; we hold it to the access deadline (30), which also meets the CCPA/state laws'
 * 45 days.
 */
export const RIGHTS_DUE_DAYS: Record<RightsRequestKind, number> = { access: 30, amendment: 60, deletion: 30 };

/** The one extension §164.524(b)(2)(iii) and §164.526(b)(2)(ii) allow, with a written reason. */
export const RIGHTS_EXTENSION_DAYS = 30;

export function dueAt(kind: RightsRequestKind, receivedAt: Date): Date {
  return new Date(receivedAt.getTime() + RIGHTS_DUE_DAYS[kind] * DAY_MS);
}

/** The due date after the extension; null when the request was already extended once. */
export function extendedDueAt(current: Date, alreadyExtended: boolean): Date | null {
  return alreadyExtended ? null : new Date(current.getTime() + RIGHTS_EXTENSION_DAYS * DAY_MS);
}

/** Overdue: still open and past its due date (the due instant itself is not late). */
export function isOverdue(open: boolean, due: Date, now: Date): boolean {
  return open && now.getTime() > due.getTime();
}
