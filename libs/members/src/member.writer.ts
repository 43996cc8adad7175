import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DataKeysService } from '@app/crypto';
import type { MemberField } from './catalog/field-catalog';
import type { MemberChange } from './member-change';
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
  ) {}

  /** Seals a new member and creates its data key; outside any transaction (the KMS may be slow). */
  async prepare(command: NewMemberCommand): Promise<PreparedMember> {
    const sealed = await this.sealer.sealNew(command, command.values, {
      sender: command.sender,
      at: command.occurredAt.toISOString(),
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
    return created;
  }

  /** The id of the member a source created with this sourceRef, if any. */
  existingId(sourcePartnerId: string, sourceRef: string): Promise<string | null> {
    return this.store.idBySourceRef(sourcePartnerId, sourceRef);
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
    source: { sender: string; occurredAt: Date; now: Date },
  ): Promise<number> {
    const update = await this.sealer.sealChange(
      locked,
      values,
      { sender: source.sender, at: source.occurredAt.toISOString() },
      source.now,
    );
    const version = await this.store.updateFields(em, locked.id, update, this.change(values, source));
    // Unreachable while `lock` holds the key row: a guard against sealing under a key that moved on.
    if (version === null) throw new Error('member data key changed while the member was locked');
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
}
