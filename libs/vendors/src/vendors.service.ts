import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  AlertsService,
  AuditService,
  auditActor,
  type AuditRecord,
  type Sink,
  SINKS,
  sinkVendorId,
} from '@app/audit';
import { Actor, AppConfig, Clock, newId, RequestValidationFailed, type DataCategory } from '@app/common';
import { SignedCursors } from '@app/crypto';
import { baaPermittedCategories, isBaaInEffect, utcDate, type BaaTerms } from './baa';
import { BaaChangeListeners } from './baa-change-listeners';
import { expiryWarnings } from './baa-expiry';
import { effectiveBaaStatus, incompleteTerms, planBaaChange, type BaaChangeKind } from './baa-lifecycle';
import type { BaaDto, CreateVendorDto } from './create-vendor.dto';
import { toCsv } from './inventory-csv';
import { VendorBaaVersion } from './vendor-baa-version.entity';
import { VendorBaaWarning } from './vendor-baa-warning.entity';
import type { UpdateBaaDto } from './vendor-queries.dto';
import {
  BaaTerminated,
  BaaTransitionInvalid,
  BaaVersionMismatch,
  IncompleteBaa,
  VendorNotFound,
} from './vendor.errors';
import { Vendor, type VendorRole } from './vendor.entity';

export interface BaaView {
  version: number;
  /** Today's status: a signed BAA past its expiresAt reads `expired` even before the daily check records it. */
  status: Vendor['baaStatus'];
  signedAt: string | null;
  effectiveFrom: string | null;
  expiresAt: string | null;
  documentSha256: string | null;
  permittedCategories: DataCategory[];
  inEffect: boolean;
}

export interface BaaHistoryEntry {
  version: number;
  change: BaaChangeKind;
  status: Vendor['baaStatus'];
  signedAt: string | null;
  effectiveFrom: string | null;
  expiresAt: string | null;
  documentSha256: string | null;
  permittedCategories: DataCategory[];
  changedAt: string;
  changedBy: string;
  reason: string | null;
}

export interface VendorView {
  id: string;
  name: string;
  role: Vendor['role'];
  service: Vendor['service'];
  breachContact: { name: string; email: string; phone: string | null } | null;
  baa: BaaView;
  createdAt: string;
  updatedAt: string;
}

export interface VendorDetail extends VendorView {
  /** Every version of the BAA, newest first. */
  baaHistory: BaaHistoryEntry[];
}

export interface SinkStatus {
  sink: Sink;
  vendorId: string | null;
  inEffect: boolean;
}

interface VendorCursor {
  k: 'vnd';
  r: VendorRole | null;
  c: string;
  i: string;
}

/**
 * How long a process trusts its copy of a vendor on the disclosure path. A change made here drops
 * this process's copy at once; other processes (API replicas, the worker) see it within this.
 */
export const VENDOR_CACHE_MS = 5_000;
/** The system actor of the daily check, in the BAA history and the audit trail. */
export const EXPIRY_CHECK_ACTOR = 'job:vendors.baa-expiry-check';
const SINK_ALERT_DEDUPE_MS = 24 * 3_600_000;

/** The BAA registry: vendors, each BAA version with who and why, the gate's facts, expiry, the inventory. */
@Injectable()
export class VendorsService {
  private readonly cache = new Map<string, { vendor: Vendor; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly cursors: SignedCursors,
    private readonly listeners: BaaChangeListeners,
  ) {}

  async create(dto: CreateVendorDto, actor: Actor): Promise<{ id: string }> {
    const { baa } = dto;
    const incomplete = incompleteTerms(baa);
    if (incomplete) throw new IncompleteBaa(incomplete);
    if (dto.role !== 'subprocessor' && dto.service) {
      throw new IncompleteBaa('service describes a subprocessor; a partner vendor has none.');
    }
    const id = newId('vendor');
    const now = this.clock.now();
    await this.em.fork().transactional(async (em) => {
      await em.insert(Vendor, {
        id,
        name: dto.name,
        role: dto.role,
        service: dto.service ?? null,
        breachContactName: dto.breachContact?.name ?? null,
        breachContactEmail: dto.breachContact?.email ?? null,
        breachContactPhone: dto.breachContact?.phone ?? null,
        baaVersion: 1,
        ...termColumns(baa),
        createdAt: now,
        updatedAt: now,
      });
      await em.insert(VendorBaaVersion, versionRow(id, 1, 'register', baa, now, changedBy(actor), null));
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

  /** Vendors in registration order, `limit` at a time, optionally of one role. */
  async list(query: {
    role?: VendorRole;
    cursor?: string;
    limit?: number;
  }): Promise<{ data: VendorView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const role = query.role ?? null;
    let after: { createdAt: Date; id: string } | undefined;
    if (query.cursor) {
      const state = await this.cursors.verify<VendorCursor>(query.cursor);
      // A cursor of another filter (or a forged one) is refused like a malformed one.
      if (
        !state ||
        state.k !== 'vnd' ||
        state.r !== role ||
        typeof state.c !== 'string' ||
        typeof state.i !== 'string'
      )
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      after = { createdAt: new Date(state.c), id: state.i };
    }
    const rows = await this.em.fork().find(
      Vendor,
      {
        ...(role ? { role } : {}),
        ...(after
          ? {
              $or: [
                { createdAt: { $gt: after.createdAt } },
                { createdAt: after.createdAt, id: { $gt: after.id } },
              ],
            }
          : {}),
      },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: limit + 1 },
    );
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    const today = this.today();
    return {
      data: page.map((v) => this.view(v, today)),
      nextCursor: last
        ? await this.cursors.sign({
            k: 'vnd',
            r: role,
            c: last.createdAt.toISOString(),
            i: last.id,
          } satisfies VendorCursor)
        : null,
    };
  }

  /** A vendor with its current BAA and every version of it, newest first. */
  async get(id: string): Promise<VendorDetail> {
    const em = this.em.fork();
    const vendor = await em.findOne(Vendor, { id });
    if (!vendor) throw new VendorNotFound();
    const history = await em.find(VendorBaaVersion, { vendorId: id }, { orderBy: { version: 'desc' } });
    return { ...this.view(vendor, this.today()), baaHistory: history.map(historyEntry) };
  }

  /**
   * Records a new BAA version (amend, renew, sign, terminate) when the lifecycle allows it, with
   * who and why, audited in the same transaction; `ifMatch` (the ETag of GET) guards against a
   * concurrent change. Afterwards the listeners learn whether the BAA is now in effect.
   */
  async updateBaa(
    vendorId: string,
    dto: UpdateBaaDto,
    ifMatch: string | undefined,
    actor: Actor,
  ): Promise<{ id: string; version: number }> {
    const terms = termsOf(dto);
    const now = this.clock.now();
    const today = utcDate(now);
    const result = await this.em.fork().transactional(async (em) => {
      const vendor = await em.findOne(Vendor, { id: vendorId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!vendor) throw new VendorNotFound();
      const expected = ifMatch?.trim();
      if (expected && expected !== '*' && expected !== baaEtag(vendor.baaVersion))
        throw new BaaVersionMismatch();
      const decision = planBaaChange(this.terms(vendor), terms, today);
      if (!decision.ok) {
        if (decision.refusal === 'terminated') throw new BaaTerminated();
        if (decision.refusal === 'transition') throw new BaaTransitionInvalid(decision.detail);
        throw new IncompleteBaa(decision.detail);
      }
      const version = vendor.baaVersion + 1;
      await em.insert(
        VendorBaaVersion,
        versionRow(vendorId, version, decision.change, terms, now, changedBy(actor), dto.reason),
      );
      await em.nativeUpdate(
        Vendor,
        { id: vendorId },
        { baaVersion: version, ...termColumns(terms), updatedAt: now },
      );
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'vendor.baa_update',
        resourceType: 'vendor',
        resourceIds: [vendorId],
        outcome: 'success',
        statusCode: 200,
        // The audit column holds 80 characters; the full reason stays in the BAA history.
        reason: dto.reason.slice(0, 80),
      });
      return { version, inEffect: isBaaInEffect(terms, today) };
    });
    this.cache.delete(vendorId);
    await this.listeners.notify({ vendorId, inEffect: result.inEffect });
    return { id: vendorId, version: result.version };
  }

  /**
   * Whether the vendor has a BAA in effect today and which categories it permits. Read on every
   * disclosure, so vendors are cached for VENDOR_CACHE_MS (5 s): a change made through this process
   * bites on the next request, one made elsewhere within 5 s.
   */
  async baaToday(vendorId: string): Promise<{ inEffect: boolean; categories: DataCategory[] }> {
    const vendor = await this.cachedVendor(vendorId);
    const terms = this.terms(vendor);
    const today = this.today();
    return { inEffect: isBaaInEffect(terms, today), categories: baaPermittedCategories(terms, today) };
  }

  /** The BAA's permitted categories regardless of dates (for registering what a partner may ever get). */
  async contractedCategories(vendorId: string): Promise<DataCategory[]> {
    const vendor = await this.em.fork().findOne(Vendor, { id: vendorId });
    if (!vendor) throw new VendorNotFound();
    return vendor.baaPermittedCategories;
  }

  /** Whether a sink's configured vendor has a BAA in effect (a sink with no vendor named passes). */
  async sinkInEffect(sink: Sink): Promise<boolean> {
    const vendorId = sinkVendorId(this.config, sink);
    if (!vendorId) return true;
    try {
      return (await this.baaToday(vendorId)).inEffect;
    } catch (error) {
      if (error instanceof VendorNotFound) return false;
      throw error;
    }
  }

  /** Each configured sink, its vendor and whether that vendor's BAA is in effect today. */
  async sinkStatuses(): Promise<SinkStatus[]> {
    return Promise.all(
      SINKS.map(async (sink) => ({
        sink,
        vendorId: sinkVendorId(this.config, sink) ?? null,
        inEffect: await this.sinkInEffect(sink),
      })),
    );
  }

  /** Every vendor (partners' and subprocessors) with its BAA and breach contact, and the sinks' state. */
  async inventory(): Promise<{ generatedAt: string; data: VendorView[]; sinks: SinkStatus[] }> {
    const vendors = await this.em
      .fork()
      .find(Vendor, {}, { orderBy: { role: 'asc', name: 'asc', id: 'asc' } });
    const today = this.today();
    return {
      generatedAt: this.clock.now().toISOString(),
      data: vendors.map((v) => this.view(v, today)),
      sinks: await this.sinkStatuses(),
    };
  }

  /** The inventory as CSV (RFC 4180, formulas neutralised), one row per vendor. */
  async inventoryCsv(): Promise<{ filename: string; csv: string }> {
    const { data } = await this.inventory();
    const csv = toCsv(
      [
        'id',
        'name',
        'role',
        'service',
        'baa_status',
        'baa_in_effect',
        'baa_version',
        'signed_at',
        'effective_from',
        'expires_at',
        'document_sha256',
        'permitted_categories',
        'breach_contact_name',
        'breach_contact_email',
        'breach_contact_phone',
      ],
      data.map((v) => [
        v.id,
        v.name,
        v.role,
        v.service,
        v.baa.status,
        v.baa.inEffect,
        v.baa.version,
        v.baa.signedAt,
        v.baa.effectiveFrom,
        v.baa.expiresAt,
        v.baa.documentSha256,
        v.baa.permittedCategories.join(';'),
        v.breachContact?.name,
        v.breachContact?.email,
        v.breachContact?.phone,
      ]),
    );
    return { filename: `vendor-inventory-${this.today()}.csv`, csv };
  }

  /**
   * The daily check: warns 30 and 7 days before a signed BAA expires (once per vendor, expiry date
   * and threshold: the warning row and the alert commit or fail together), records `expired` in the
   * history of BAAs whose day has come, and alerts on configured sinks without a BAA in effect.
   */
  async runExpiryCheck(): Promise<{ warned: number; expired: number; sinksWithoutBaa: Sink[] }> {
    const now = this.clock.now();
    const today = utcDate(now);
    const em = this.em.fork();
    const signed = await em.find(Vendor, { baaStatus: 'signed', baaExpiresAt: { $ne: null } });
    const sent = signed.length
      ? await em.find(VendorBaaWarning, { vendorId: { $in: signed.map((v) => v.id) } })
      : [];
    const { warnings, lapsed } = expiryWarnings(
      today,
      signed.map((v) => ({
        vendorId: v.id,
        status: v.baaStatus,
        expiresAt: v.baaExpiresAt ?? null,
        warned: sent
          .filter((w) => w.vendorId === v.id && w.expiresAt === v.baaExpiresAt)
          .map((w) => w.daysAhead),
      })),
    );
    for (const warning of warnings) {
      await this.em.fork().transactional(async (tx) => {
        // A concurrent run that got here first makes this insert fail and roll back: no second alert.
        await tx.insertMany(
          VendorBaaWarning,
          warning.settles.map((daysAhead) => ({
            vendorId: warning.vendorId,
            expiresAt: warning.expiresAt,
            daysAhead,
            raisedAt: now,
          })),
        );
        // The warning rows are the dedupe; the alert's own window only has to keep two thresholds apart.
        await this.alerts.raise(
          'baa_expiring',
          warning.severity,
          `vendor:${warning.vendorId}:${warning.daysAhead}d`,
          { vendorId: warning.vendorId, expiresAt: warning.expiresAt, daysLeft: warning.daysLeft },
          60_000,
        );
      });
    }
    for (const vendorId of lapsed) await this.recordExpired(vendorId, now);
    const sinksWithoutBaa: Sink[] = [];
    for (const status of await this.sinkStatuses()) {
      if (status.inEffect) continue;
      sinksWithoutBaa.push(status.sink);
      await this.alerts.raise(
        'sink_without_baa',
        'high',
        `sink:${status.sink}`,
        { sink: status.sink, vendorId: status.vendorId },
        SINK_ALERT_DEDUPE_MS,
      );
    }
    return { warned: warnings.length, expired: lapsed.length, sinksWithoutBaa };
  }

  /** Records `expired` as a new version by the system actor, if the BAA is still signed and lapsed. */
  private async recordExpired(vendorId: string, now: Date): Promise<void> {
    const today = utcDate(now);
    await this.em.fork().transactional(async (em) => {
      const vendor = await em.findOne(Vendor, { id: vendorId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (
        !vendor ||
        vendor.baaStatus !== 'signed' ||
        effectiveBaaStatus(this.terms(vendor), today) !== 'expired'
      )
        return;
      const terms = { ...this.terms(vendor), status: 'expired' as const };
      const version = vendor.baaVersion + 1;
      await em.insert(
        VendorBaaVersion,
        versionRow(vendorId, version, 'expire', terms, now, EXPIRY_CHECK_ACTOR, 'expiresAt reached'),
      );
      await em.nativeUpdate(
        Vendor,
        { id: vendorId },
        { baaVersion: version, baaStatus: 'expired', updatedAt: now },
      );
      await this.audit.record(em, {
        actorType: 'system',
        actorId: EXPIRY_CHECK_ACTOR,
        action: 'vendor.baa_expire',
        resourceType: 'vendor',
        resourceIds: [vendorId],
        outcome: 'success',
      } satisfies AuditRecord);
    });
    this.cache.delete(vendorId);
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

  private today(): string {
    return utcDate(this.clock.now());
  }

  private terms(vendor: Vendor) {
    return {
      status: vendor.baaStatus,
      signedAt: vendor.baaSignedAt ?? null,
      effectiveFrom: vendor.baaEffectiveFrom ?? null,
      expiresAt: vendor.baaExpiresAt ?? null,
      documentSha256: vendor.baaDocumentSha256 ?? null,
      permittedCategories: vendor.baaPermittedCategories,
    };
  }

  private view(vendor: Vendor, today: string): VendorView {
    const terms = this.terms(vendor);
    return {
      id: vendor.id,
      name: vendor.name,
      role: vendor.role,
      service: vendor.service ?? null,
      breachContact: vendor.breachContactName
        ? {
            name: vendor.breachContactName,
            email: vendor.breachContactEmail ?? '',
            phone: vendor.breachContactPhone ?? null,
          }
        : null,
      baa: {
        version: vendor.baaVersion,
        status: effectiveBaaStatus(terms, today),
        signedAt: terms.signedAt,
        effectiveFrom: terms.effectiveFrom,
        expiresAt: terms.expiresAt,
        documentSha256: terms.documentSha256,
        permittedCategories: terms.permittedCategories,
        inEffect: isBaaInEffect(terms, today),
      },
      createdAt: vendor.createdAt.toISOString(),
      updatedAt: vendor.updatedAt.toISOString(),
    };
  }
}

/** The BAA version as an HTTP entity tag (GET sends it; PUT .../baa may send it back in If-Match). */
export const baaEtag = (version: number) => `"${version}"`;

type Terms = BaaTerms & { signedAt?: string | null; documentSha256?: string | null };

/** The terms of a PUT body, sent flat or nested in `baa` (not both). */
function termsOf(dto: UpdateBaaDto): Terms {
  if (!dto.baa) return { ...dto, status: dto.status!, permittedCategories: dto.permittedCategories! };
  const flat = [
    'status',
    'signedAt',
    'effectiveFrom',
    'expiresAt',
    'documentSha256',
    'permittedCategories',
  ] as const;
  const both = flat.filter((field) => dto[field] !== undefined);
  if (both.length > 0)
    throw new RequestValidationFailed(both.map((field) => ({ field, rules: ['notBesideBaa'] })));
  return dto.baa;
}

function termColumns(baa: Terms | BaaDto) {
  return {
    baaStatus: baa.status,
    baaSignedAt: baa.signedAt ?? null,
    baaEffectiveFrom: baa.effectiveFrom ?? null,
    baaExpiresAt: baa.expiresAt ?? null,
    baaDocumentSha256: baa.documentSha256 ?? null,
    baaPermittedCategories: [...baa.permittedCategories],
  };
}

function versionRow(
  vendorId: string,
  version: number,
  change: BaaChangeKind,
  baa: Terms | BaaDto,
  changedAt: Date,
  by: string,
  reason: string | null,
): VendorBaaVersion {
  return {
    vendorId,
    version,
    change,
    status: baa.status,
    signedAt: baa.signedAt ?? null,
    effectiveFrom: baa.effectiveFrom ?? null,
    expiresAt: baa.expiresAt ?? null,
    documentSha256: baa.documentSha256 ?? null,
    permittedCategories: [...baa.permittedCategories],
    changedAt,
    changedBy: by,
    reason,
  };
}

function historyEntry(row: VendorBaaVersion): BaaHistoryEntry {
  return {
    version: row.version,
    change: row.change,
    status: row.status,
    signedAt: row.signedAt ?? null,
    effectiveFrom: row.effectiveFrom ?? null,
    expiresAt: row.expiresAt ?? null,
    documentSha256: row.documentSha256 ?? null,
    permittedCategories: row.permittedCategories,
    changedAt: row.changedAt.toISOString(),
    changedBy: row.changedBy,
    reason: row.reason ?? null,
  };
}

/** Who changed a BAA: the admin's id, or the system actor a command names. */
function changedBy(actor: Actor): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 60);
}
