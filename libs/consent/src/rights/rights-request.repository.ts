import { EntityRepository, LockMode } from '@mikro-orm/postgresql';
import type { RightsRequest } from './rights-request.entity';
import { OPEN_STATUSES, type RightsRequestKind, type RightsRequestStatus } from './rights-request-state';

export interface RightsRequestFilter {
  status?: RightsRequestStatus;
  kind?: RightsRequestKind;
  /** true: open and past due at `now`; false: anything else. */
  overdue?: boolean;
  now: Date;
}

/**
 * Rights requests. Compliance officers work across organizations, so the admin list is not
 * tenant-scoped; each row carries its member's organization for the audit trail and holds.
 */
export class RightsRequestRepository extends EntityRepository<RightsRequest> {
  /** The request locked for a transition (the caller's transaction). */
  lockById(id: string): Promise<RightsRequest | null> {
    return this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** One page in (dueAt, id) order: the soonest due first. */
  page(filter: RightsRequestFilter, after: { dueAt: Date; id: string } | null, limit: number) {
    const where: Record<string, unknown>[] = [];
    if (filter.status) where.push({ status: filter.status });
    if (filter.kind) where.push({ kind: filter.kind });
    if (filter.overdue === true)
      where.push({ status: { $in: [...OPEN_STATUSES] }, dueAt: { $lt: filter.now } });
    if (filter.overdue === false)
      where.push({ $or: [{ status: { $nin: [...OPEN_STATUSES] } }, { dueAt: { $gte: filter.now } }] });
    if (after)
      where.push({ $or: [{ dueAt: { $gt: after.dueAt } }, { dueAt: after.dueAt, id: { $gt: after.id } }] });
    return this.find({ $and: where }, { orderBy: { dueAt: 'asc', id: 'asc' }, limit });
  }

  /** Open requests past due whose overdue alert has not been raised yet (the hourly check). */
  overdueUnalerted(now: Date, limit: number): Promise<RightsRequest[]> {
    return this.find(
      { status: { $in: [...OPEN_STATUSES] }, dueAt: { $lt: now }, overdueAlertedAt: null },
      { orderBy: { dueAt: 'asc', id: 'asc' }, limit },
    );
  }

  /** Marks the alert raised; false when another worker marked it first. */
  async markOverdueAlerted(id: string, at: Date): Promise<boolean> {
    return (await this.nativeUpdate({ id, overdueAlertedAt: null }, { overdueAlertedAt: at })) === 1;
  }
}
