import { EntityRepository } from '@mikro-orm/postgresql';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { ConsentStatus } from './consent-rule';
import type { Consent } from './consent.entity';

/** The admin list's filters; `status` is as computed at `now` (expired is not stored). */
export interface ConsentFilter {
  memberId?: string;
  partnerId?: string;
  status?: ConsentStatus;
  now: Date;
}

/** Admin reads and the revocation. Admins see every organization; partners never read this table through here. */
export class ConsentRepository extends EntityRepository<Consent> {
  /** A keyset page in (createdAt, id) order after `after`. */
  page(
    filter: ConsentFilter,
    after: { createdAt: Date; id: string } | null,
    limit: number,
  ): Promise<Consent[]> {
    const where: FilterQuery<Consent>[] = [];
    if (filter.memberId) where.push({ memberId: filter.memberId });
    if (filter.partnerId) where.push({ partnerId: filter.partnerId });
    if (filter.status === 'revoked') where.push({ status: 'revoked' });
    if (filter.status === 'expired') where.push({ status: 'active', validUntil: { $lte: filter.now } });
    if (filter.status === 'active')
      where.push({ status: 'active', $or: [{ validUntil: null }, { validUntil: { $gt: filter.now } }] });
    if (after)
      where.push({
        $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }],
      });
    return this.find({ $and: where }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit });
  }

  /** The consent locked for a change (its revocation); null when there is none. */
  lockById(id: string): Promise<Consent | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }
}
