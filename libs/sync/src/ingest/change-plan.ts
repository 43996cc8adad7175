import { isDeepStrictEqual } from 'node:util';
import {
  groupName,
  MEMBER_FIELDS,
  type FieldMetaEntry,
  type FieldOwner,
  type MemberField,
  type MemberValues,
} from '@app/members';
import {
  decideField,
  isNewer,
  mergeByKey,
  type FieldStamp,
  type IncomingStamp,
} from '../conflicts/conflict-policy';

/** Why a field of a change was not applied. */
export type ConflictReason = 'stale' | 'not_owner' | 'manual';

/** A field left unapplied, named by its JSON path (`identity.familyName`), never with a value. */
export interface FieldConflict {
  field: string;
  reason: ConflictReason;
}

/** What one incoming change does to a member, field by field (catalog policies, conflict-policy.ts). */
export interface ChangePlan {
  /** Values to write: incoming values, merged sets already merged. */
  apply: MemberValues;
  stale: MemberField[];
  notOwner: MemberField[];
  manual: MemberField[];
}

/** A sender's side: a membership-system partner is the membership system's; anyone else the platform's. */
export function sideOf(partnerType: string | undefined): FieldOwner {
  return partnerType === 'membership_system' ? 'membership_system' : 'b2b_platform';
}

/** Source priority on an `occurredAt` tie: the field's owner wins (DESIGN: no per-source priority configured yet). */
export function priorityOf(side: FieldOwner, field: MemberField): number {
  return side === MEMBER_FIELDS[field].owner ? 1 : 0;
}

/**
 * The stamp a held value carries. An entry written before sides were recorded counts as the
 * field's owner's: until sync, only the owner's routes wrote those fields (the signed create, the
 * platform's preferences).
 */
export function heldStamp(field: MemberField, entry: FieldMetaEntry): FieldStamp & { priority: number } {
  const side = entry.side ?? MEMBER_FIELDS[field].owner;
  return {
    side,
    sourceId: entry.source,
    occurredAt: new Date(entry.updatedAt),
    priority: priorityOf(side, field),
  };
}

interface ProgramElement {
  programCode: string;
}

/**
 * Decides each incoming field by its catalog policy against the value and stamp held. Pure: the
 * caller has locked the member and decrypted its values. A merge field (`programs`) is applied
 * as the merged set, the newer side winning an element present on both.
 */
export function planChange(
  incoming: MemberValues,
  sender: { side: FieldOwner; sourceId: string; occurredAt: Date },
  current: MemberValues,
  stamps: Partial<Record<MemberField, FieldMetaEntry>>,
): ChangePlan {
  const plan: ChangePlan = { apply: {}, stale: [], notOwner: [], manual: [] };
  for (const [field, value] of Object.entries(incoming) as [MemberField, unknown][]) {
    const spec = MEMBER_FIELDS[field];
    const stampEntry = stamps[field];
    const held = current[field] !== undefined && stampEntry ? heldStamp(field, stampEntry) : undefined;
    const stamp: IncomingStamp = { ...sender, priority: priorityOf(sender.side, field) };
    const decision = decideField(
      spec.conflictPolicy,
      spec.owner,
      stamp,
      held,
      isDeepStrictEqual(current[field], value),
    );
    switch (decision.kind) {
      case 'apply':
        plan.apply[field] =
          spec.conflictPolicy === 'merge' && Array.isArray(current[field]) && Array.isArray(value)
            ? mergeByKey(
                current[field] as ProgramElement[],
                value as ProgramElement[],
                (element) => element.programCode,
                held === undefined || isNewer(stamp, held),
              )
            : value;
        break;
      case 'stale':
        plan.stale.push(field);
        break;
      case 'not_owner':
        plan.notOwner.push(field);
        break;
      case 'manual':
        plan.manual.push(field);
        break;
    }
  }
  return plan;
}

/** A field's path in the member JSON: `identity.familyName`, `coverage.status`, `dependents`. */
export function fieldPath(field: MemberField): string {
  const spec = MEMBER_FIELDS[field];
  const group = groupName(spec.category);
  return spec.jsonKey === null ? group : `${group}.${spec.jsonKey}`;
}

/** The plan's unapplied fields, by path, in catalog order within each reason. */
export function conflictsOf(plan: ChangePlan): FieldConflict[] {
  return [
    ...plan.notOwner.map((f) => ({ field: fieldPath(f), reason: 'not_owner' as const })),
    ...plan.stale.map((f) => ({ field: fieldPath(f), reason: 'stale' as const })),
    ...plan.manual.map((f) => ({ field: fieldPath(f), reason: 'manual' as const })),
  ];
}

/**
 * What a change does as a whole (docs/api-guide.md, "Partial changes"): each field stands on its
 * own policy, so the fields decided `apply` are written together (`write`) while stale and
 * not-owned ones are skipped and manual ones held in a reconciliation case; with nothing to write
 * the change is a `conflict`. Skipping rather than refusing the whole change keeps a replayed
 * event (a polled create carrying preferences) from stranding its other fields.
 */
export type ChangeVerdict = 'write' | 'conflict';

export function verdictOf(plan: ChangePlan): ChangeVerdict {
  return Object.keys(plan.apply).length > 0 ? 'write' : 'conflict';
}

/**
 * The plan's writes that change something. A value equal to the one held, whose stamp is as new
 * or newer than the incoming change, is dropped: a replayed create (the feed's create of a member
 * the signed create already made) then bumps no version, and an older change never moves a
 * field's stamp back (which would let a later-arriving older value win last-writer-wins).
 */
export function effectiveWrites(
  apply: MemberValues,
  occurredAt: Date,
  current: MemberValues,
  stamps: Partial<Record<MemberField, FieldMetaEntry>>,
): MemberValues {
  const writes: MemberValues = {};
  for (const [field, value] of Object.entries(apply) as [MemberField, unknown][]) {
    const stamp = stamps[field];
    const covered =
      stamp !== undefined &&
      current[field] !== undefined &&
      isDeepStrictEqual(current[field], value) &&
      new Date(stamp.updatedAt).getTime() >= occurredAt.getTime();
    if (!covered) (writes as Record<string, unknown>)[field] = value;
  }
  return writes;
}
