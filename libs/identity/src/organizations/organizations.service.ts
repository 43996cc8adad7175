import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { Actor, Clock, newId } from '@app/common';
import { Organization } from './organization.entity';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(name: string, actor: Actor): Promise<{ id: string }> {
    const id = newId('organization');
    const now = this.clock.now();
    await this.em.fork().transactional(async (em) => {
      await em.insert(Organization, { id, name, createdAt: now, updatedAt: now });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'organization.create',
        resourceType: 'organization',
        resourceIds: [id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id };
  }

  /** The subset of `ids` that exist. */
  async existing(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.em.fork().find(Organization, { id: { $in: [...ids] } }, { fields: ['id'] });
    return rows.map((r) => r.id);
  }
}
