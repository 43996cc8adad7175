import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { Actor, Clock, newId, ResourceNotFound } from '@app/common';
import { DEFAULT_PAGE_LIMIT, RegistryPages, type RegistryPage } from '../admin/registry-pages';
import { Organization } from './organization.entity';

export interface OrganizationSummary {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

function summaryOf(organization: Organization): OrganizationSummary {
  return {
    id: organization.id,
    name: organization.name,
    createdAt: organization.createdAt.toISOString(),
    updatedAt: organization.updatedAt.toISOString(),
  };
}

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly pages: RegistryPages,
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

  async list(query: { cursor?: string; limit?: number }): Promise<RegistryPage<OrganizationSummary>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = await this.pages.after('org', query.cursor);
    const rows = await this.em
      .fork()
      .find(Organization, after ? { id: { $gt: after } } : {}, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return this.pages.page('org', rows, limit, summaryOf);
  }

  async get(organizationId: string): Promise<OrganizationSummary> {
    const organization = await this.em.fork().findOne(Organization, { id: organizationId });
    if (!organization) throw new ResourceNotFound('organization');
    return summaryOf(organization);
  }

  /** The subset of `ids` that exist. */
  async existing(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.em.fork().find(Organization, { id: { $in: [...ids] } }, { fields: ['id'] });
    return rows.map((r) => r.id);
  }
}
