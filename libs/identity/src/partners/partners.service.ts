import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { Actor, Clock, newId, ResourceNotFound } from '@app/common';
import { VendorsService } from '@app/vendors';
import { OrganizationsService } from '../organizations/organizations.service';
import { InvalidRegistration } from '../identity.errors';
import type { CreatePartnerDto } from './create-partner.dto';
import { Partner } from './partner.entity';

const CACHE_TTL_MS = 30_000;

@Injectable()
export class PartnersService {
  // Partners are read on every partner request. A suspension bites at once through its deny marker
  // (RevocationService); the TTL bounds how long a lost marker could matter.
  private readonly cache = new Map<string, { partner: Partner; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly vendors: VendorsService,
    private readonly organizations: OrganizationsService,
  ) {}

  async create(dto: CreatePartnerDto, actor: Actor): Promise<{ id: string }> {
    const contracted = await this.vendors.contractedCategories(dto.vendorId).catch(() => {
      throw new InvalidRegistration('vendorId does not name a registered vendor.');
    });
    const outside = dto.categories.filter((c) => !contracted.includes(c));
    if (outside.length > 0) {
      throw new InvalidRegistration(`Categories outside the vendor's BAA: ${outside.join(', ')}.`);
    }
    const existing = await this.organizations.existing(dto.organizationIds);
    if (existing.length !== dto.organizationIds.length) {
      throw new InvalidRegistration('organizationIds names an organization that does not exist.');
    }
    const id = newId('partner');
    await this.em.fork().transactional(async (em) => {
      await em.insert(Partner, {
        id,
        name: dto.name,
        vendorId: dto.vendorId,
        type: dto.type,
        organizationIds: dto.organizationIds,
        categories: dto.categories,
        purpose: dto.purpose,
        requiresConsent: dto.requiresConsent,
        status: 'active',
        createdAt: this.clock.now(),
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'partner.create',
        resourceType: 'partner',
        resourceIds: [id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id };
  }

  async get(partnerId: string): Promise<Partner> {
    const now = this.clock.nowMs();
    const hit = this.cache.get(partnerId);
    if (hit && hit.until > now) return hit.partner;
    const partner = await this.em.fork().findOne(Partner, { id: partnerId });
    if (!partner) throw new ResourceNotFound('partner');
    this.cache.set(partnerId, { partner, until: now + CACHE_TTL_MS });
    return partner;
  }

  /** Drops this process's copy after a status change (other processes rely on the deny marker). */
  forget(partnerId: string): void {
    this.cache.delete(partnerId);
  }
}
