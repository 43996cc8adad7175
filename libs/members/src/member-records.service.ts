import { Injectable } from '@nestjs/common';
import { DATA_CATEGORIES } from '@app/common';
import { MEMBER_FIELD_NAMES } from './catalog/field-catalog';
import { MemberCipher } from './member-cipher';
import { MemberSearch } from './member-search.service';
import { MemberStore } from './member.store';
import { toRecord } from './member.reader';
import { projectMember } from './projection';

/**
 * A member's whole record for the member's own rights (access export, amendment, deletion
 * requests), driven by a compliance officer. Unaudited here: the caller audits the read in the
 * transaction that discloses it, naming the rights request.
 */
@Injectable()
export class MemberRecords {
  constructor(
    private readonly store: MemberStore,
    private readonly cipher: MemberCipher,
    private readonly search: MemberSearch,
  ) {}

  /** The organization of a live member (ids only, no ePHI read); null when none is live. */
  async liveOrganizationOf(memberId: string): Promise<string | null> {
    return (await this.store.findLive(memberId, []))?.organizationId ?? null;
  }

  /** Every group of a live member (the designated record set); null when none is live. */
  async fullDocument(memberId: string): Promise<Record<string, unknown> | null> {
    const stored = await this.store.findLive(memberId, MEMBER_FIELD_NAMES);
    if (!stored) return null;
    return projectMember(toRecord(stored, await this.cipher.open(stored)), DATA_CATEGORIES);
  }

  /** The §164.528 accounting of disclosures, as GET /admin/members/{id}/disclosures answers it. */
  disclosures(memberId: string) {
    return this.search.accounting(memberId);
  }
}
