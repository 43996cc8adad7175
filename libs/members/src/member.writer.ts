import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DataKeysService } from '@app/crypto';
import type { FieldOwner, MemberField } from './catalog/field-catalog';
import type { MemberChange } from './member-change';
import {
  MemberChangeObservers,
  type MemberChangeEvent,
  type MemberChangeKind,
} from './member-change-observers';
import type { SealedNote, StampedMember } from './member-stamps';
import { MemberSealer, type SealedNewMember } from './member.sealer';
import { MemberStore, type LockedTombstoneCandidate, type StoredMember } from './member.store';
import type { MemberValues } from './projection';

export interface NewMemberCommand {
  id: string;
  organizationId: string;
  sourcePartnerId: string;
  sourceRef: string;
  values: MemberValues;
  sender: string;
  occurredAt: Date;
  now: Date;
  /** The sending side, recorded in each field's stamp (sync's writes). */
  side?: FieldOwner;
}

/** A new member sealed before its transaction (its data key exists, unstored). */
export interface PreparedMember extends NewMemberCommand {
  sealed: SealedNewMember;
}

/**
 * Member changes inside the caller's transaction (`em`): an HTTP use case and a sync transaction
 * alike. Each change writes its `member_change` row in the same transaction. Authorization and
 * audit are the caller's; the writer never opens a transaction nor waits on another connection.
 */
@Injectable()
export class MemberWriter {
  constructor(
    private readonly store: MemberStore,
    private readonly sealer: MemberSealer,
    private readonly dataKeys: DataKeysService,
    private readonly observers: MemberChangeObservers,
  ) {}

  /** Seals a new member and creates its data key; outside any transaction (the KMS may be slow). */
  async prepare(command: NewMemberCommand): Promise<PreparedMember> {
    const sealed = await this.sealer.sealNew(command, command.values, {
      sender: command.sender,
      at: command.occurredAt.toISOString(),
      side: command.side,
    });
    return { ...command, sealed };
  }

  /** Inserts a prepared member; false (and nothing written) when its source already sent this sourceRef. */
  async create(em: EntityManager, member: PreparedMember): Promise<boolean> {
    const created = await this.store.insert(
      em,
      {
        id: member.id,
        organizationId: member.organizationId,
        sourcePartnerId: member.sourcePartnerId,
        sourceRef: member.sourceRef,
        ...member.sealed,
        now: member.now,
      },
      this.change(member.values, member),
    );
    if (!created) this.dataKeys.forget(member.id);
    else await this.observers.notify(em, [this.event('created', member, 1, member.values, member)]);
    return created;
  }

  /** The id of the member a source created with this sourceRef, if any. */
  existingId(sourcePartnerId: string, sourceRef: string): Promise<string | null> {
    return this.store.idBySourceRef(sourcePartnerId, sourceRef);
  }

  /** `lock` plus each field's stamp: what a conflict policy decides a change on. */
  lockStamped(em: EntityManager, memberId: string): Promise<StampedMember | null> {
    return this.store.lockLiveStamped(em, memberId);
  }

  /** The plaintext values a locked member holds (decrypted in memory, for a decision; never stored). */
  currentValues(locked: StoredMember): Promise<MemberValues> {
    return this.sealer.open(locked);
  }

  /** Seals a value to keep beside a locked member (a proposal awaiting a decision) under its data key. */
  sealNote(locked: StoredMember, label: string, value: unknown): Promise<SealedNote> {
    return this.sealer.sealNote(locked, label, value);
  }

  /** Opens a note from `sealNote`; undefined when the member's data key has changed since. */
  openNote(locked: StoredMember, label: string, note: SealedNote): Promise<unknown> {
    return this.sealer.openNote(locked, label, note);
  }

  /** Locks a live member and its data key for a field change; null when there is none. */
  lock(em: EntityManager, memberId: string): Promise<StoredMember | null> {
    return this.store.lockLive(em, memberId);
  }

  /** Replaces field values of a member locked with `lock`; returns the new version. */
  async replaceFields(
    em: EntityManager,
    locked: StoredMember,
    values: MemberValues,
    source: { sender: string; occurredAt: Date; now: Date; side?: FieldOwner },
  ): Promise<number> {
    const update = await this.sealer.sealChange(
      locked,
      values,
      { sender: source.sender, at: source.occurredAt.toISOString(), side: source.side },
      source.now,
    );
    const version = await this.store.updateFields(em, locked.id, update, this.change(values, source));
    // Unreachable while `lock` holds the key row: a guard against sealing under a key that moved on.
    if (version === null) throw new Error('member data key changed while the member was locked');
    await this.observers.notify(em, [this.event('updated', locked, version, values, source)]);
    return version;
  }

  /** Locks a live member for deletion; null when there is none. */
  lockForDeletion(em: EntityManager, memberId: string): Promise<LockedTombstoneCandidate | null> {
    return this.store.lockForDeletion(em, memberId);
  }

  /** Crypto-shreds a member locked with `lockForDeletion`; returns the tombstone's version. */
  async delete(
    em: EntityManager,
    locked: LockedTombstoneCandidate,
    source: { sender: string; occurredAt: Date; now: Date },
  ): Promise<number> {
    const version = await this.store.shred(em, locked.id, source.now, {
      fields: locked.fields,
      sender: source.sender,
      occurredAt: source.occurredAt,
      recordedAt: source.now,
    });
    this.dataKeys.forget(locked.id);
    await this.observers.notify(em, [this.event('deleted', locked, version, locked.fields, source)]);
    return version;
  }

  private change(
    values: MemberValues,
    source: { sender: string; occurredAt: Date; now: Date },
  ): MemberChange {
    return {
      fields: Object.keys(values) as MemberField[],
      sender: source.sender,
      occurredAt: source.occurredAt,
      recordedAt: source.now,
    };
  }

  /** What observers (sync's outbox) are told about a change: ids, version, field names. */
  private event(
    kind: MemberChangeKind,
    member: { id: string; organizationId: string },
    version: number,
    fields: MemberValues | readonly MemberField[],
    source: { sender: string; occurredAt: Date; now: Date },
  ): MemberChangeEvent {
    return {
      kind,
      memberId: member.id,
      organizationId: member.organizationId,
      version,
      fields: Array.isArray(fields) ? fields : (Object.keys(fields) as MemberField[]),
      sender: source.sender,
      occurredAt: source.occurredAt,
      recordedAt: source.now,
    };
  }
}
