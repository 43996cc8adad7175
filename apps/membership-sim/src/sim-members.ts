import { ResourceNotFound } from '@app/common';
import type { MemberGroups } from './member-document';
import type { SimStore, StoredMember } from './sim-store';

/** The sim's own view of a member, for field-by-field comparison with ours. */
export type SimMemberView = {
  sourceRef: string;
  memberId: string | null;
  organizationId: string | null;
  version: number;
  status: string;
  updatedAt: string;
} & MemberGroups;

/** `GET /sim/members[/{sourceRef}]`. */
export class SimMembers {
  constructor(private readonly store: SimStore) {}

  async view(sourceRef: string): Promise<SimMemberView> {
    const member = await this.store.member(sourceRef);
    if (!member) throw new ResourceNotFound('member');
    return toView(member);
  }

  /** Members in sourceRef order; `nextCursor` is null after the last page. */
  async list(
    cursor: string | undefined,
    limit = 100,
  ): Promise<{ data: SimMemberView[]; nextCursor: string | null }> {
    const after = cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
    const rows = await this.store.members(after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map(toView),
      nextCursor:
        rows.length > limit && last ? Buffer.from(last.sourceRef, 'utf8').toString('base64url') : null,
    };
  }
}

function toView(member: StoredMember): SimMemberView {
  return {
    sourceRef: member.sourceRef,
    memberId: member.memberId,
    organizationId: member.organizationId,
    version: member.version,
    status: member.status,
    updatedAt: member.updatedAt,
    ...member.document,
  };
}
