import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import type { Actor } from '@app/common';
import { ObjectAccessService } from '@app/identity';
import { Member } from './member.entity';

export interface MemberView {
  id: string;
  organizationId: string;
  version: number;
  status: Member['status'];
  updatedAt: string;
}

@Injectable()
export class MembersService {
  constructor(
    private readonly em: EntityManager,
    private readonly access: ObjectAccessService,
    private readonly audit: AuditService,
  ) {}

  /** One member as the caller may see it; unknown and forbidden members both answer 404. */
  async get(actor: Actor, memberId: string): Promise<MemberView> {
    const em = this.em.fork();
    const member = await em.findOne(Member, { id: memberId, status: { $ne: 'deleted' } });
    await this.access.assertVisible(actor, 'member', memberId, member);
    await this.audit.record(em, {
      ...auditActor(actor),
      action: 'member.read',
      resourceType: 'member',
      resourceIds: [memberId],
      outcome: 'success',
      statusCode: 200,
    });
    return {
      id: member!.id,
      organizationId: member!.organizationId,
      version: Number(member!.version),
      status: member!.status,
      updatedAt: member!.updatedAt.toISOString(),
    };
  }
}
