import { Injectable } from '@nestjs/common';
import { BlindIndexService, DataKeysService, openField, sealField, type WrappedSecret } from '@app/crypto';
import {
  BLIND_INDEXED_FIELDS,
  normalizeForIndex,
  type FieldOwner,
  type MemberField,
} from './catalog/field-catalog';
import { MemberCipher } from './member-cipher';
import type { SealedNote } from './member-stamps';
import type { FieldUpdate, StoredMember } from './member.store';
import type { MemberValues } from './projection';

/** A new member's first data key version. */
export const FIRST_DATA_KEY_VERSION = 1;

/** Who sent a value and when it took effect at the sender: each field's `fieldMeta` entry. */
export interface ValueSource {
  sender: string;
  /** ISO 8601 */
  at: string;
  /** Which side sent it (sync records it, so a later change can tell whether both sides changed a field). */
  side?: FieldOwner;
}

export interface SealedNewMember {
  ciphertexts: Partial<Record<MemberField, Buffer>>;
  blindIndexes: Partial<Record<MemberField, Buffer>>;
  fieldMeta: Record<string, unknown>;
  keyVersion: number;
  wrappedKey: WrappedSecret;
}

/**
 * Turns plaintext member values into what is stored: ciphertexts under the member's data key,
 * blind indexes for the exact-match fields, and field metadata naming the sender. The API's
 * writes and the synthetic seeder seal through here, so seeded rows are rows the API could write.
 */
@Injectable()
export class MemberSealer {
  constructor(
    private readonly cipher: MemberCipher,
    private readonly dataKeys: DataKeysService,
    private readonly blindIndex: BlindIndexService,
  ) {}

  /** A new member: creates its first data key (which may call the KMS), so call it before a transaction. */
  async sealNew(
    member: { id: string; organizationId: string },
    values: MemberValues,
    source: ValueSource,
  ): Promise<SealedNewMember> {
    const key = await this.dataKeys.create(member.id, FIRST_DATA_KEY_VERSION);
    return {
      ciphertexts: this.cipher.seal(member, FIRST_DATA_KEY_VERSION, key.plaintext, values),
      blindIndexes: await this.blindIndexes(values),
      fieldMeta: fieldMetaOf(values, source),
      keyVersion: FIRST_DATA_KEY_VERSION,
      wrappedKey: key.wrapped,
    };
  }

  /** Changed values of a member locked with its key (`MemberStore.lockLive`), under that key's version. */
  async sealChange(
    locked: StoredMember,
    values: MemberValues,
    source: ValueSource,
    now: Date,
  ): Promise<FieldUpdate> {
    const key = await this.cipher.dataKeyOf(locked);
    return {
      ciphertexts: this.cipher.seal(locked, locked.keyVersion!, key, values),
      blindIndexes: await this.blindIndexes(values),
      fieldMeta: fieldMetaOf(values, source),
      keyVersion: locked.keyVersion!,
      now,
    };
  }

  /** The plaintext values of a member read or locked with its key (every ciphertext the row carries). */
  open(stored: StoredMember): Promise<MemberValues> {
    return this.cipher.open(stored);
  }

  /** A value kept beside the member, sealed under its current data key; `label` binds it (AAD) to its purpose. */
  async sealNote(locked: StoredMember, label: string, value: unknown): Promise<SealedNote> {
    const key = await this.cipher.dataKeyOf(locked);
    const keyVersion = locked.keyVersion!;
    return {
      keyVersion,
      sealed: sealField(key, Buffer.from(JSON.stringify(value)), noteAad(locked, label, keyVersion)),
    };
  }

  /**
   * A note sealed by `sealNote`, or undefined when the member's data key has moved on since (a
   * re-encryption replaced it). A tampered or re-targeted note fails like any ciphertext.
   */
  async openNote(locked: StoredMember, label: string, note: SealedNote): Promise<unknown> {
    if (locked.keyVersion !== note.keyVersion) return undefined;
    const key = await this.cipher.dataKeyOf(locked);
    return JSON.parse(openField(key, note.sealed, noteAad(locked, label, note.keyVersion)).toString('utf8'));
  }

  private async blindIndexes(values: MemberValues): Promise<Partial<Record<MemberField, Buffer>>> {
    const indexes: Partial<Record<MemberField, Buffer>> = {};
    for (const field of BLIND_INDEXED_FIELDS) {
      const value = values[field];
      if (typeof value === 'string')
        indexes[field] = await this.blindIndex.compute(field, normalizeForIndex(field, value));
    }
    return indexes;
  }
}

function fieldMetaOf(values: MemberValues, source: ValueSource): Record<string, unknown> {
  const entry = source.side
    ? { updatedAt: source.at, source: source.sender, side: source.side }
    : { updatedAt: source.at, source: source.sender };
  return Object.fromEntries(Object.keys(values).map((f) => [f, entry]));
}

/** A note's AAD: never equal to a field's (`note:` is no field name), so a note cannot pass for a field. */
function noteAad(member: { id: string; organizationId: string }, label: string, keyVersion: number): string {
  return `${member.organizationId}|${member.id}|note:${label}|${keyVersion}`;
}
