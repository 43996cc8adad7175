import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@app/common';
import { lagSeconds } from '../polling/source-rules';
import type { SourceStatus } from '../polling/sync-source.entity';
import {
  SubscriptionHealthService,
  type SubscriptionHealthEntry,
} from '../subscriptions/subscription-health.service';

export interface SourceHealth {
  id: string;
  status: SourceStatus;
  lastSuccessAt: Date | null;
  /** Seconds since the feed was last read to its end; null before the first time. */
  lagSeconds: number | null;
  /** Open reconciliation cases opened by changes of the source's partner (as the status route counts them). */
  openCases: number;
}

export interface SyncHealthSnapshot {
  sources: SourceHealth[];
  subscriptions: SubscriptionHealthEntry[];
}

interface SourceRow {
  id: string;
  status: SourceStatus;
  last_success_at: Date | null;
  open_cases: string;
}

/**
 * Sync health of every source and every (not deleted) subscription at once, for /metrics: one SQL
 * statement for the sources, one for the subscriptions, two reads of job ids for the deliveries
 * queue, however many rows. Opaque ids, enum values, times and counts only.
 */
@Injectable()
export class SyncHealthService {
  constructor(
    private readonly em: EntityManager,
    private readonly subscriptions: SubscriptionHealthService,
    private readonly clock: Clock,
  ) {}

  async snapshot(): Promise<SyncHealthSnapshot> {
    const [sources, subscriptions] = await Promise.all([this.sources(), this.subscriptions.all()]);
    return { sources, subscriptions };
  }

  private async sources(): Promise<SourceHealth[]> {
    const rows = await this.em.fork().execute<SourceRow[]>(
      `select s.id, s.status, s.last_success_at,
         (select count(*) from reconciliation_case c
           where c.source_partner_id = s.partner_id and c.status = 'open') as open_cases
       from sync_source s order by s.id`,
    );
    const nowMs = this.clock.nowMs();
    return rows.map((row) => {
      const lastSuccessAt = row.last_success_at ? new Date(row.last_success_at) : null;
      return {
        id: row.id,
        status: row.status,
        lastSuccessAt,
        lagSeconds: lagSeconds(nowMs, lastSuccessAt),
        openCases: Number(row.open_cases),
      };
    });
  }
}
