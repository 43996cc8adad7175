import { EntityRepository, LockMode } from '@mikro-orm/postgresql';
import type { LegalHold } from './legal-hold.entity';

/** Legal holds; the member's organization is part of every member lookup. */
export class LegalHoldRepository extends EntityRepository<LegalHold> {
  /** The member's active holds, locked so a release cannot slip in while a deletion decides. */
  activeFor(organizationId: string, memberId: string): Promise<LegalHold[]> {
    return this.find(
      { organizationId, memberId, releasedAt: null },
      { orderBy: { placedAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_READ },
    );
  }

  lockById(id: string): Promise<LegalHold | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** One page, oldest first; `active` narrows to unreleased holds. */
  page(
    filter: { memberId?: string; active?: boolean },
    after: { placedAt: Date; id: string } | null,
    limit: number,
  ) {
    const where: Record<string, unknown>[] = [];
    if (filter.memberId) where.push({ memberId: filter.memberId });
    if (filter.active === true) where.push({ releasedAt: null });
    if (filter.active === false) where.push({ releasedAt: { $ne: null } });
    if (after)
      where.push({
        $or: [{ placedAt: { $gt: after.placedAt } }, { placedAt: after.placedAt, id: { $gt: after.id } }],
      });
    return this.find({ $and: where }, { orderBy: { placedAt: 'asc', id: 'asc' }, limit });
  }
}
