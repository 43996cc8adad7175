import type { BaaTerms } from './baa';
import type { BaaStatus } from './vendor.entity';

/** How a BAA version came about; stored with each version in the history. */
export const BAA_CHANGES = [
  'register',
  'edit_draft',
  'sign',
  'amend',
  'renew',
  'expire',
  'terminate',
] as const;
export type BaaChangeKind = (typeof BAA_CHANGES)[number];

/** One version of a BAA's terms, as recorded in the history. */
export interface BaaVersionTerms extends BaaTerms {
  signedAt?: string | null;
  documentSha256?: string | null;
}

export type BaaChangeDecision =
  | { ok: true; change: BaaChangeKind }
  | { ok: false; refusal: 'terminated' | 'transition' | 'incomplete'; detail: string };

/**
 * The status a BAA has today: a signed BAA whose `expiresAt` has come is expired, whether or not
 * the daily check has recorded it yet (the gate never waits for the job).
 */
export function effectiveBaaStatus(baa: Pick<BaaTerms, 'status' | 'expiresAt'>, today: string): BaaStatus {
  if (baa.status === 'signed' && baa.expiresAt && today >= baa.expiresAt) return 'expired';
  return baa.status;
}

/** What a signed or draft BAA must hold, whatever it replaces. */
export function incompleteTerms(next: BaaVersionTerms): string | null {
  if (next.status === 'signed' && (!next.signedAt || !next.effectiveFrom || !next.documentSha256)) {
    return 'A signed BAA needs signedAt, effectiveFrom and documentSha256.';
  }
  if (next.effectiveFrom && next.expiresAt && next.expiresAt <= next.effectiveFrom) {
    return 'expiresAt must be after effectiveFrom.';
  }
  return null;
}

const refuse = (refusal: 'terminated' | 'transition' | 'incomplete', detail: string): BaaChangeDecision => ({
  ok: false,
  refusal,
  detail,
});

/**
 * Decides an admin's change of a BAA (PUT .../baa): draft → signed → expired | terminated;
 * signed → signed (amend, or renew with a new expiresAt or document); expired → signed (renewal);
 * a draft may be edited or abandoned (terminated); terminated is final. `expired` is never set by
 * hand: the service records it when expiresAt passes (end a BAA early by terminating it).
 */
export function planBaaChange(
  current: BaaVersionTerms,
  next: BaaVersionTerms,
  today: string,
): BaaChangeDecision {
  const from = effectiveBaaStatus(current, today);
  if (from === 'terminated') return refuse('terminated', 'The BAA is terminated; a terminated BAA is final.');
  if (next.status === 'expired') {
    return refuse(
      'transition',
      'A BAA is marked expired by the service when its expiresAt passes; terminate it to end it early.',
    );
  }
  const incomplete = incompleteTerms(next);
  if (incomplete) return refuse('incomplete', incomplete);
  if (next.status === 'terminated') return { ok: true, change: 'terminate' };
  if (next.status === 'draft') {
    return from === 'draft'
      ? { ok: true, change: 'edit_draft' }
      : refuse('transition', `A ${from} BAA cannot go back to draft.`);
  }
  // next.status === 'signed'
  if (next.expiresAt && next.expiresAt <= today) {
    return refuse('incomplete', 'A signed BAA must run past today (expiresAt after today, or none).');
  }
  if (from === 'draft') return { ok: true, change: 'sign' };
  if (from === 'expired') return { ok: true, change: 'renew' };
  const renewed =
    (next.expiresAt ?? null) !== (current.expiresAt ?? null) ||
    (next.documentSha256 ?? null) !== (current.documentSha256 ?? null);
  return { ok: true, change: renewed ? 'renew' : 'amend' };
}
