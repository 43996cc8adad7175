import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { Actor, Clock, newId, type DataCategory } from '@app/common';
import { baaPermittedCategories, isBaaInEffect, utcDate } from './baa';
import type { CreateVendorDto } from './create-vendor.dto';
import { IncompleteBaa, VendorNotFound } from './vendor.errors';
import { Vendor } from './vendor.entity';

export interface VendorView {
  id: string;
  name: string;
  role: Vendor['role'];
  baa: {
    status: Vendor['baaStatus'];
    signedAt: string | null;
    effectiveFrom: string | null;
    expiresAt: string | null;
    documentSha256: string | null;
    permittedCategories: DataCategory[];
    inEffect: boolean;
  };
}

const VENDOR_CACHE_MS = 30_000;

@Injectable()
export class VendorsService {
  private readonly cache = new Map<string, { vendor: Vendor; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(dto: CreateVendorDto, actor: Actor): Promise<{ id: string }> {
    const { baa } = dto;
    if (baa.status === 'signed' && (!baa.signedAt || !baa.effectiveFrom || !baa.documentSha256)) {
      throw new IncompleteBaa('A signed BAA needs signedAt, effectiveFrom and documentSha256.');
    }
    if (baa.effectiveFrom && baa.expiresAt && baa.expiresAt <= baa.effectiveFrom) {
      throw new IncompleteBaa('expiresAt must be after effectiveFrom.');
    }
    const id = newId('vendor');
    const now = this.clock.now();
    await this.em.fork().transactional(async (em) => {
      await em.insert(Vendor, {
        id,
        name: dto.name,
        role: dto.role,
        baaStatus: baa.status,
        baaSignedAt: baa.signedAt ?? null,
        baaEffectiveFrom: baa.effectiveFrom ?? null,
        baaExpiresAt: baa.expiresAt ?? null,
        baaDocumentSha256: baa.documentSha256 ?? null,
        baaPermittedCategories: baa.permittedCategories,
        createdAt: now,
        updatedAt: now,
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'vendor.create',
        resourceType: 'vendor',
        resourceIds: [id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id };
  }

  async get(id: string): Promise<VendorView> {
    const vendor = await this.em.fork().findOne(Vendor, { id });
    if (!vendor) throw new VendorNotFound();
    return this.view(vendor);
  }

  /**
   * Whether the vendor has a BAA in effect today and which categories it permits. Read on every
   * disclosure, so vendors are cached for 30 s: a terminated BAA stops disclosures within that.
   */
  async baaToday(vendorId: string): Promise<{ inEffect: boolean; categories: DataCategory[] }> {
    const vendor = await this.cachedVendor(vendorId);
    const terms = this.terms(vendor);
    const today = utcDate(this.clock.now());
    return { inEffect: isBaaInEffect(terms, today), categories: baaPermittedCategories(terms, today) };
  }

  private async cachedVendor(vendorId: string): Promise<Vendor> {
    const now = this.clock.nowMs();
    const hit = this.cache.get(vendorId);
    if (hit && hit.until > now) return hit.vendor;
    const vendor = await this.em.fork().findOne(Vendor, { id: vendorId });
    if (!vendor) throw new VendorNotFound();
    this.cache.set(vendorId, { vendor, until: now + VENDOR_CACHE_MS });
    return vendor;
  }

  /** The BAA's permitted categories regardless of dates (for registering what a partner may ever get). */
  async contractedCategories(vendorId: string): Promise<DataCategory[]> {
    const vendor = await this.em.fork().findOne(Vendor, { id: vendorId });
    if (!vendor) throw new VendorNotFound();
    return vendor.baaPermittedCategories;
  }

  private terms(vendor: Vendor) {
    return {
      status: vendor.baaStatus,
      effectiveFrom: vendor.baaEffectiveFrom,
      expiresAt: vendor.baaExpiresAt,
      permittedCategories: vendor.baaPermittedCategories,
    };
  }

  private view(vendor: Vendor): VendorView {
    const today = utcDate(this.clock.now());
    return {
      id: vendor.id,
      name: vendor.name,
      role: vendor.role,
      baa: {
        status: vendor.baaStatus,
        signedAt: vendor.baaSignedAt ?? null,
        effectiveFrom: vendor.baaEffectiveFrom ?? null,
        expiresAt: vendor.baaExpiresAt ?? null,
        documentSha256: vendor.baaDocumentSha256 ?? null,
        permittedCategories: vendor.baaPermittedCategories,
        inEffect: isBaaInEffect(this.terms(vendor), today),
      },
    };
  }
}
