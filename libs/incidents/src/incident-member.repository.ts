import { EntityRepository } from '@mikro-orm/postgresql';
import type { IncidentMember } from './incident-member.entity';

/** Every method takes the incident id: an incident's member list is reached only through it. */
export class IncidentMemberRepository extends EntityRepository<IncidentMember> {
  /** A page of the incident's affected members, in member id order, after `afterMemberId`. */
  page(incidentId: string, afterMemberId: string | null, limit: number): Promise<IncidentMember[]> {
    return this.find(afterMemberId ? { incidentId, memberId: { $gt: afterMemberId } } : { incidentId }, {
      orderBy: { memberId: 'asc' },
      limit,
    });
  }
}
