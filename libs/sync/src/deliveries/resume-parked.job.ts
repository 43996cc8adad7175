import { Injectable, Logger } from '@nestjs/common';
import { AlertsService } from '@app/audit';
import { Clock, JobHandler, ResourceNotFound, type DataCategory, type JobPayloads } from '@app/common';
import { PartnersService } from '@app/identity';
import { VENDOR_CACHE_MS, VendorNotFound, VendorsService } from '@app/vendors';
import { parkingOver } from './delivery-gate';
import { DeliveryQueue } from './delivery-queue';
import { ParkedDeliveryStore } from './parked-delivery.store';

/** Rows read per batch of a vendor's resume. */
export const RESUME_BATCH = 500;
/**
 * A resumed attempt starts this late: past every process's vendor cache, so the attempt (and the
 * member read inside it) sees the renewed BAA rather than parking the delivery again.
 */
export const RESUME_DELAY_MS = 2 * VENDOR_CACHE_MS;
/**
 * A delivery parked this long raises a `high` alert (once a day per partner). It is never dropped:
 * its row carries everything the attempt needs, so the outbox's own retention does not matter.
 */
export const PARKED_TOO_LONG_MS = 7 * 24 * 60 * 60 * 1000;
const PARKED_TOO_LONG_DEDUPE_MS = 24 * 60 * 60 * 1000;

type Partner = Awaited<ReturnType<PartnersService['get']>>;
type Baa = { inEffect: boolean; categories: readonly DataCategory[] };

/**
 * Puts parked deliveries back on the queue once the refusal is over: per vendor after a BAA change
 * (BaaChangeListeners), and every vendor in the 5-minute sweep, so a lost listener call or a
 * partner's reinstatement self-heals. Each goes back as a fresh first attempt (same webhook-id) under
 * job id `.r<n>`, and its row is deleted only after the add: a crash in between adds it again under
 * the same id, which BullMQ ignores (and receivers deduplicate by webhook-id anyway).
 */
@Injectable()
export class ResumeParkedJob {
  private readonly logger = new Logger('Deliveries');

  constructor(
    private readonly parked: ParkedDeliveryStore,
    private readonly queue: DeliveryQueue,
    private readonly vendors: VendorsService,
    private readonly partners: PartnersService,
    private readonly alerts: AlertsService,
    private readonly clock: Clock,
  ) {}

  @JobHandler('deliveries.resume-parked')
  async run(payload: JobPayloads['deliveries.resume-parked']): Promise<{ resumed: number }> {
    const vendorIds = 'vendorId' in payload ? [payload.vendorId] : await this.parked.vendors();
    const baas = new Map<string, Baa>();
    const partners = new Map<string, Partner | null>();
    let resumed = 0;
    for (const vendorId of vendorIds) {
      // A vendor whose BAA is still not in effect keeps its rows without reading them.
      if (!(await this.baaOf(vendorId, baas)).inEffect) continue;
      resumed += await this.resumeVendor(vendorId, baas, partners);
    }
    if (payload.reason === 'sweep') await this.alertParkedTooLong();
    this.logger.log(
      { reason: payload.reason, vendors: vendorIds.length, resumed },
      'parked deliveries resumed',
    );
    return { resumed };
  }

  private async resumeVendor(
    vendorId: string,
    baas: Map<string, Baa>,
    partners: Map<string, Partner | null>,
  ): Promise<number> {
    let resumed = 0;
    let after: { outboxId: string; subscriptionId: string } | null = null;
    for (;;) {
      const rows = await this.parked.ofVendor(vendorId, after, RESUME_BATCH);
      for (const row of rows) {
        const partner = await this.partnerOf(row.payload.partnerId, partners);
        // The partner's current vendor decides (as the attempt will).
        const baa = partner ? await this.baaOf(partner.vendorId, baas) : { inEffect: false, categories: [] };
        if (!parkingOver(partner, baa)) continue;
        const next = { ...row.payload, attempt: 1, resumed: (row.payload.resumed ?? 0) + 1 };
        await this.queue.sendAttempt(next, RESUME_DELAY_MS);
        await this.parked.removeResumed(row.payload);
        resumed += 1;
      }
      if (rows.length < RESUME_BATCH) return resumed;
      const last = rows[rows.length - 1].payload;
      after = { outboxId: last.outboxId, subscriptionId: last.subscriptionId };
    }
  }

  /** The vendor's BAA from the registry itself, not the gate's cache: this runs right after a renewal. */
  private async baaOf(vendorId: string, baas: Map<string, Baa>): Promise<Baa> {
    let baa = baas.get(vendorId);
    if (!baa) {
      baa = await this.vendors.get(vendorId).then(
        (vendor) => ({
          inEffect: vendor.baa.inEffect,
          categories: vendor.baa.inEffect ? vendor.baa.permittedCategories : [],
        }),
        (error: unknown) => {
          if (error instanceof VendorNotFound) return { inEffect: false, categories: [] };
          throw error;
        },
      );
      baas.set(vendorId, baa);
    }
    return baa;
  }

  private async partnerOf(partnerId: string, partners: Map<string, Partner | null>): Promise<Partner | null> {
    if (!partners.has(partnerId))
      partners.set(
        partnerId,
        await this.partners.get(partnerId).catch((error: unknown) => {
          if (error instanceof ResourceNotFound) return null;
          throw error;
        }),
      );
    return partners.get(partnerId) ?? null;
  }

  /** Nothing parked is ever dropped; what waits too long is brought to compliance officers' attention. */
  private async alertParkedTooLong(): Promise<void> {
    const before = new Date(this.clock.nowMs() - PARKED_TOO_LONG_MS);
    for (const { partnerId, parked, oldestParkedAt } of await this.parked.parkedSince(before)) {
      await this.alerts.raise(
        'deliveries_parked',
        'high',
        `partner:${partnerId}:parked_over_7_days`,
        { partnerId, parked, oldestParkedAt: oldestParkedAt.toISOString() },
        PARKED_TOO_LONG_DEDUPE_MS,
      );
    }
  }
}
