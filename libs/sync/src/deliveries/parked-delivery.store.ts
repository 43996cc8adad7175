import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared, type DataCategory, type JobPayloads } from '@app/common';
import type { ParkReason } from './delivery-gate';

/** One parked delivery: the refused attempt's payload (ids and names only), its vendor and why. */
export interface ParkedDelivery {
  payload: JobPayloads['deliveries.send'];
  vendorId: string;
  parkedAt: Date;
  reason: ParkReason;
}

interface Row {
  outbox_id: string;
  subscription_id: string;
  partner_id: string;
  vendor_id: string;
  member_id: string;
  organization_id: string;
  topic: 'member.changed' | 'consent.revoked';
  member_version: string | null;
  change_kind: 'created' | 'updated' | 'deleted' | null;
  categories: DataCategory[] | null;
  consent_id: string | null;
  purpose: string | null;
  occurred_at: Date;
  resumed: number;
  parked_at: Date;
  reason: ParkReason;
}

// A re-park keeps the row and its first parked_at; the higher resume count wins (see park()).
const PARK = preparedStatement(
  'parked_delivery_park',
  `insert into parked_delivery as d (outbox_id, subscription_id, partner_id, vendor_id, member_id,
     organization_id, topic, member_version, change_kind, categories, consent_id, purpose, occurred_at,
     resumed, parked_at, reason)
   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
   on conflict (outbox_id, subscription_id) do update set
     resumed = greatest(d.resumed, excluded.resumed), reason = excluded.reason`,
);

/**
 * The parked deliveries (table `parked_delivery`). Infrastructure like the outbox, not tenant
 * data: a row holds opaque ids and category names, and the resume reads one vendor's rows across
 * organizations. Re-parking the same delivery keeps one row (the key is outbox × subscription).
 */
@Injectable()
export class ParkedDeliveryStore {
  constructor(private readonly em: EntityManager) {}

  /**
   * Parks (or re-parks) a refused attempt. A re-park carries the higher resume count, so a resume
   * that read the row before cannot delete it (it deletes only the count it read).
   */
  async park(parked: ParkedDelivery): Promise<void> {
    const p = parked.payload;
    const change = p.topic === 'consent.revoked' ? null : p;
    const notice = p.topic === 'consent.revoked' ? p : null;
    await runPrepared(this.em, PARK, [
      p.outboxId,
      p.subscriptionId,
      p.partnerId,
      parked.vendorId,
      p.memberId,
      p.organizationId,
      p.topic ?? 'member.changed',
      change?.version ?? null,
      change?.kind ?? null,
      p.categories ?? null,
      notice?.consentId ?? null,
      notice?.purpose ?? null,
      p.occurredAt,
      p.resumed ?? 0,
      parked.parkedAt,
      parked.reason,
    ]);
  }

  /** The vendors that have parked deliveries. */
  async vendors(): Promise<string[]> {
    const rows = await this.em
      .fork()
      .execute<{ vendor_id: string }[]>('select distinct vendor_id from parked_delivery order by vendor_id');
    return rows.map((r) => r.vendor_id);
  }

  /** Up to `limit` of a vendor's parked deliveries after `after` (outbox, subscription), in commit order. */
  async ofVendor(
    vendorId: string,
    after: { outboxId: string; subscriptionId: string } | null,
    limit: number,
  ): Promise<ParkedDelivery[]> {
    const rows = await this.em.fork().execute<Row[]>(
      `select * from parked_delivery
        where vendor_id = ? and (outbox_id, subscription_id) > (?, ?)
        order by outbox_id, subscription_id limit ?`,
      [vendorId, after?.outboxId ?? '', after?.subscriptionId ?? '', limit],
    );
    return rows.map(parkedOf);
  }

  /** Deletes a resumed row, only if nobody re-parked it since it was read (same resume count). */
  async removeResumed(payload: JobPayloads['deliveries.send']): Promise<void> {
    await this.em
      .fork()
      .execute('delete from parked_delivery where outbox_id = ? and subscription_id = ? and resumed = ?', [
        payload.outboxId,
        payload.subscriptionId,
        payload.resumed ?? 0,
      ]);
  }

  /** How many deliveries a partner has parked, and since when (for its alert). */
  async ofPartner(partnerId: string): Promise<{ parked: number; oldestParkedAt: Date | null }> {
    const [row] = await this.em
      .fork()
      .execute<{ parked: string; oldest: Date | null }[]>(
        'select count(*) as parked, min(parked_at) as oldest from parked_delivery where partner_id = ?',
        [partnerId],
      );
    return { parked: Number(row.parked), oldestParkedAt: row.oldest ? new Date(row.oldest) : null };
  }

  /** Partners with a delivery parked since before `before`: what the sweep alerts about. */
  async parkedSince(before: Date): Promise<{ partnerId: string; parked: number; oldestParkedAt: Date }[]> {
    const rows = await this.em.fork().execute<{ partner_id: string; parked: string; oldest: Date }[]>(
      `select partner_id, count(*) as parked, min(parked_at) as oldest from parked_delivery
        group by partner_id having min(parked_at) < ? order by partner_id`,
      [before],
    );
    return rows.map((r) => ({
      partnerId: r.partner_id,
      parked: Number(r.parked),
      oldestParkedAt: new Date(r.oldest),
    }));
  }
}

function parkedOf(row: Row): ParkedDelivery {
  const ids = {
    outboxId: row.outbox_id,
    subscriptionId: row.subscription_id,
    partnerId: row.partner_id,
    memberId: row.member_id,
    organizationId: row.organization_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    attempt: 1,
    resumed: row.resumed,
  };
  const payload: JobPayloads['deliveries.send'] =
    row.topic === 'consent.revoked'
      ? {
          ...ids,
          topic: 'consent.revoked',
          consentId: row.consent_id!,
          purpose: row.purpose!,
          categories: row.categories ?? [],
        }
      : {
          ...ids,
          version: Number(row.member_version),
          kind: row.change_kind!,
          ...(row.categories ? { categories: row.categories } : {}),
        };
  return { payload, vendorId: row.vendor_id, parkedAt: new Date(row.parked_at), reason: row.reason };
}
