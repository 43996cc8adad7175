import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import type { Actor, DataCategory } from '@app/common';
import type { MemberField } from './catalog/field-catalog';
import { MemberCipher } from './member-cipher';
import { IntegrityViolation } from './member.errors';
import { MemberStore, type StoredMember } from './member.store';

/** The mailing address of the field catalog's `address` field. */
export interface MailingAddress {
  line1: string;
  line2?: string | null;
  city: string;
  state: string;
  postalCode: string;
  country: string;
}

/** Who a notice goes to: name and mailing address only. */
export interface NoticeAddressee {
  memberId: string;
  givenName: string;
  familyName: string;
  address: MailingAddress;
}

/** Why an admin reads for a notice: the audited purpose and a short reason (an incident id). */
export interface NoticePurpose {
  purpose: string;
  reason: string;
}

export interface AffectedMemberRef {
  memberId: string;
  organizationId: string;
}

// Ids per read and per audit event: bounds one statement's array and one event's id list.
const CHUNK = 500;

/**
 * Reads for notices to members (breach notification letters, the media-notice rule): the name
 * and mailing address fields only, never another field, each read audited with its purpose.
 */
@Injectable()
export class MemberNotices {
  constructor(
    private readonly em: EntityManager,
    private readonly store: MemberStore,
    private readonly cipher: MemberCipher,
    private readonly audit: AuditService,
  ) {}

  /** The organization of each member id that exists (live or deleted): ids only, no ePHI. */
  async organizationsOf(memberIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < memberIds.length; i += CHUNK) {
      const rows = await this.em
        .fork()
        .execute<Array<{ id: string; organization_id: string }>>(
          'select id, organization_id from member where id = any(?::text[])',
          [`{${memberIds.slice(i, i + CHUNK).join(',')}}`],
        );
      for (const row of rows) found.set(row.id, row.organization_id);
    }
    return found;
  }

  /**
   * Affected members per address state (counts only), decrypting the address and nothing else.
   * Members deleted, without an address or failing their integrity check count as `unknown`.
   */
  async residentsByState(
    actor: Actor,
    members: readonly AffectedMemberRef[],
    why: NoticePurpose,
  ): Promise<{ byState: Record<string, number>; unknown: number }> {
    const byState: Record<string, number> = {};
    let known = 0;
    await this.read(actor, members, ['address'], ['contact'], why, (_stored, values) => {
      const state = (values.address as MailingAddress | undefined)?.state;
      if (!state) return;
      byState[state] = (byState[state] ?? 0) + 1;
      known += 1;
    });
    return { byState, unknown: members.length - known };
  }

  /** Name and mailing address of each member that has both; the others (deleted, no address) are absent. */
  async addressees(
    actor: Actor,
    members: readonly AffectedMemberRef[],
    why: NoticePurpose,
  ): Promise<Map<string, NoticeAddressee>> {
    const found = new Map<string, NoticeAddressee>();
    await this.read(
      actor,
      members,
      ['givenName', 'familyName', 'address'],
      ['identity', 'contact'],
      why,
      (stored, values) => {
        const { givenName, familyName, address } = values as {
          givenName?: string;
          familyName?: string;
          address?: MailingAddress;
        };
        if (givenName && familyName && address) {
          found.set(stored.id, { memberId: stored.id, givenName, familyName, address });
        }
      },
    );
    return found;
  }

  /** Opens `fields` of live members, chunk by chunk; each chunk read is audited once it is done. */
  private async read(
    actor: Actor,
    members: readonly AffectedMemberRef[],
    fields: MemberField[],
    categories: DataCategory[],
    why: NoticePurpose,
    each: (stored: StoredMember, values: Record<string, unknown>) => void,
  ): Promise<void> {
    for (let i = 0; i < members.length; i += CHUNK) {
      const chunk = members.slice(i, i + CHUNK);
      const organizations = [...new Set(chunk.map((m) => m.organizationId))];
      const rows = await this.store.findLiveMany(
        organizations,
        chunk.map((m) => m.memberId),
        fields,
      );
      const opened: string[] = [];
      for (const stored of rows) {
        try {
          each(stored, await this.cipher.open(stored));
          opened.push(stored.id);
        } catch (error) {
          // Already alerted by the cipher; the member is left out rather than failing the others.
          if (!(error instanceof IntegrityViolation)) throw error;
        }
      }
      if (opened.length === 0) continue;
      await this.audit.recordStandalone({
        ...auditActor(actor),
        action: 'member.read',
        resourceType: 'member',
        resourceIds: opened,
        purpose: why.purpose,
        categories,
        outcome: 'success',
        statusCode: 200,
        reason: why.reason.slice(0, 80),
      });
    }
  }
}
