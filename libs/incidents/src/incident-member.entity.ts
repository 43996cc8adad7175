import { Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import { IncidentMemberRepository } from './incident-member.repository';

/** One affected member of an incident: opaque ids only, written once when the incident is recorded. */
@Entity({ tableName: 'incident_member', repository: () => IncidentMemberRepository })
export class IncidentMember {
  [EntityRepositoryType]?: IncidentMemberRepository;

  @PrimaryKey({ type: 'string', length: 30 })
  incidentId: string;

  @PrimaryKey({ type: 'string', length: 30 })
  memberId: string;

  @Property({ type: 'string', length: 30 })
  organizationId: string;
}
