import type { FieldOwner, MemberField } from './catalog/field-catalog';
import type { StoredMember } from './member.store';

/**
 * A field's `fieldMeta` entry: who set the value (`source`: partner, admin or system id), when it
 * happened at the sender (`updatedAt`, ISO 8601) and, for writes since sync, which side sent it.
 * Entries written before sides were recorded have no `side`.
 */
export interface FieldMetaEntry {
  updatedAt: string;
  source: string;
  side?: FieldOwner;
}

/** A live member locked for a change, with each field's stamp: what a conflict policy decides on. */
export interface StampedMember extends StoredMember {
  fieldMeta: Partial<Record<MemberField, FieldMetaEntry>>;
}

/** A value kept beside a member (a reconciliation case's proposal), sealed under the member's data key. */
export interface SealedNote {
  keyVersion: number;
  sealed: Buffer;
}
