import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService } from '@app/audit';
import { Actor, Clock, ResourceNotFound } from '@app/common';
import { AUDITED_REASON_LENGTH, auditedChanger, changedBy } from '../admin/registry-change';
import { DEFAULT_PAGE_LIMIT, RegistryPages, type RegistryPage } from '../admin/registry-pages';
import { ApiKeysService, type ApiKeySummary } from '../api-keys/api-keys.service';
import { ClientsService, type ClientSummary } from '../clients/clients.service';
import { RevocationService } from '../tokens/revocation.service';
import { Partner } from './partner.entity';
import { PartnersService } from './partners.service';

export interface PartnerSummary {
  id: string;
  name: string;
  vendorId: string;
  type: Partner['type'];
  organizationIds: string[];
  categories: string[];
  purpose: string;
  requiresConsent: boolean;
  status: Partner['status'];
  createdAt: string;
  statusChangedAt: string | null;
  statusReason: string | null;
}

export interface PartnerDetail extends PartnerSummary {
  clients: ClientSummary[];
  apiKeys: ApiKeySummary[];
}

function summaryOf(partner: Partner): PartnerSummary {
  return {
    id: partner.id,
    name: partner.name,
    vendorId: partner.vendorId,
    type: partner.type,
    organizationIds: [...partner.organizationIds],
    categories: [...partner.categories],
    purpose: partner.purpose,
    requiresConsent: partner.requiresConsent,
    status: partner.status,
    createdAt: partner.createdAt.toISOString(),
    statusChangedAt: partner.statusChangedAt ? partner.statusChangedAt.toISOString() : null,
    statusReason: partner.statusReason ?? null,
  };
}

/**
 * The partner registry as compliance officers run it: list, inspect (with credentials, never their
 * secrets), suspend and reinstate. A status change is audited with who and why in its transaction
 * and bites on the partner's next request in every API process through its deny marker.
 */
@Injectable()
export class PartnerRegistryService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly partners: PartnersService,
    private readonly clients: ClientsService,
    private readonly apiKeys: ApiKeysService,
    private readonly revocations: RevocationService,
    private readonly pages: RegistryPages,
  ) {}

  async list(query: { cursor?: string; limit?: number }): Promise<RegistryPage<PartnerSummary>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = await this.pages.after('prt', query.cursor);
    const rows = await this.em
      .fork()
      .find(Partner, after ? { id: { $gt: after } } : {}, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return this.pages.page('prt', rows, limit, summaryOf);
  }

  async detail(partnerId: string): Promise<PartnerDetail> {
    const partner = await this.load(partnerId);
    const [clients, apiKeys] = await Promise.all([
      this.clients.ofPartner(partnerId),
      this.apiKeys.ofPartner(partnerId),
    ]);
    return { ...summaryOf(partner), clients, apiKeys };
  }

  /**
   * The deny marker goes in before the commit and comes out if the commit fails: a crash in between
   * leaves the partner denied (the safe side) until the marker expires or someone reinstates it.
   */
  async suspend(partnerId: string, reason: string, actor: Actor): Promise<PartnerSummary> {
    const current = await this.load(partnerId);
    if (current.status === 'suspended') return summaryOf(current);
    await this.revocations.denyPartner(partnerId);
    try {
      await this.changeStatus(partnerId, 'active', 'suspended', reason, actor);
    } catch (error) {
      await this.revocations.allowPartner(partnerId).catch(() => undefined);
      throw error;
    }
    this.partners.forget(partnerId);
    return summaryOf(await this.load(partnerId));
  }

  /**
   * The commit first, then the marker comes out: a crash in between leaves the partner denied until
   * the marker expires, and repeating the reinstatement (a no-op in the database) removes it.
   */
  async reinstate(partnerId: string, reason: string, actor: Actor): Promise<PartnerSummary> {
    const current = await this.load(partnerId);
    if (current.status === 'suspended')
      await this.changeStatus(partnerId, 'suspended', 'active', reason, actor);
    await this.revocations.allowPartner(partnerId);
    this.partners.forget(partnerId);
    return summaryOf(await this.load(partnerId));
  }

  private async changeStatus(
    partnerId: string,
    from: Partner['status'],
    to: Partner['status'],
    reason: string,
    actor: Actor,
  ): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const changed = await em.nativeUpdate(
        Partner,
        { id: partnerId, status: from },
        {
          status: to,
          statusChangedAt: this.clock.now(),
          statusChangedBy: changedBy(actor),
          statusReason: reason,
        },
      );
      // Another admin got there first: their change was audited, this one changes nothing.
      if (changed === 0) return;
      await this.audit.record(em, {
        ...auditedChanger(actor),
        action: to === 'suspended' ? 'partner.suspend' : 'partner.reinstate',
        resourceType: 'partner',
        resourceIds: [partnerId],
        outcome: 'success',
        statusCode: 200,
        reason: reason.slice(0, AUDITED_REASON_LENGTH),
      });
    });
  }

  private async load(partnerId: string): Promise<Partner> {
    const partner = await this.em.fork().findOne(Partner, { id: partnerId });
    if (!partner) throw new ResourceNotFound('partner');
    return partner;
  }
}
