import type { ConflictPolicy, FieldOwner } from '@app/members';

/** Which system a change came from: the membership system, or anything on the B2B side (partners, admins). */
export type Side = FieldOwner;

/** Who last set a field and when it happened at the sender (a member's `fieldMeta` entry). */
export interface FieldStamp {
  side: Side;
  /** The sender (partner or admin id): the tie-break of last resort, so every process decides alike. */
  sourceId: string;
  occurredAt: Date;
}

/** An incoming change of one field, stamped like the value it meets. */
export interface IncomingStamp extends FieldStamp {
  /** Higher wins a tie on `occurredAt` (configured per source; the field's owner by default). */
  priority: number;
}

export type FieldDecision =
  /** Take the incoming value. */
  | { kind: 'apply' }
  /** Older than what we hold: acknowledged, not applied (a late or reordered event). */
  | { kind: 'stale' }
  /** Only the field's owner may change it. */
  | { kind: 'not_owner' }
  /** Both sides changed a critical field since they last agreed: a person decides. */
  | { kind: 'manual' };

/**
 * How one incoming field change meets the value we hold, by the field's catalog policy. `current` is
 * absent when the field was never set; `sameValue` says the two values are already equal (then no
 * policy has anything to resolve). Merge policies answer `apply`: the caller merges (see mergeByKey)
 * with `newer` telling which side's elements win.
 */
export function decideField(
  policy: ConflictPolicy,
  owner: FieldOwner,
  incoming: IncomingStamp,
  current: (FieldStamp & { priority: number }) | undefined,
  sameValue: boolean,
): FieldDecision {
  if (policy === 'source_of_truth' && incoming.side !== owner) return { kind: 'not_owner' };
  if (!current || sameValue) return { kind: 'apply' };
  switch (policy) {
    case 'merge':
      return { kind: 'apply' };
    case 'manual':
      if (incoming.side !== current.side) return { kind: 'manual' };
      return isNewer(incoming, current) ? { kind: 'apply' } : { kind: 'stale' };
    case 'source_of_truth':
    case 'last_writer_wins':
      return isNewer(incoming, current) ? { kind: 'apply' } : { kind: 'stale' };
  }
}

/** Later `occurredAt` wins; on a tie, higher priority; then the larger sender id, so the outcome never depends on arrival order. */
export function isNewer(incoming: IncomingStamp, current: FieldStamp & { priority: number }): boolean {
  const delta = incoming.occurredAt.getTime() - current.occurredAt.getTime();
  if (delta !== 0) return delta > 0;
  if (incoming.priority !== current.priority) return incoming.priority > current.priority;
  return incoming.sourceId >= current.sourceId;
}

/**
 * A set merged element by element (program enrolments by programCode): elements on one side only are
 * kept; an element on both sides takes the newer side's version. Order: current elements first, in
 * their order, then new ones in the incoming order, so a repeated merge gives the same list.
 */
export function mergeByKey<T>(
  current: readonly T[],
  incoming: readonly T[],
  keyOf: (element: T) => string,
  incomingIsNewer: boolean,
): T[] {
  const incomingByKey = new Map(incoming.map((element) => [keyOf(element), element]));
  const merged = current.map((element) => {
    const other = incomingByKey.get(keyOf(element));
    return other !== undefined && incomingIsNewer ? other : element;
  });
  const known = new Set(current.map(keyOf));
  for (const element of incoming) {
    const key = keyOf(element);
    if (known.has(key)) continue;
    known.add(key);
    // A key repeated within one change: its last element stands, as it does for shared keys above.
    merged.push(incomingByKey.get(key)!);
  }
  return merged;
}
