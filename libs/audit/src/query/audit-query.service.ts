import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AUDIT_ROW_COLUMNS, chainedFromRow, type AuditRow } from '../chain/audit-row';
import { formatLine, type ExportedEvent, type ExportFormat } from './siem-formats';

export interface AuditFilter {
  actor?: string;
  memberId?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

function exported(row: AuditRow): ExportedEvent {
  const event = chainedFromRow(row);
  return {
    ...event,
    occurredAt: event.occurredAt.toISOString(),
    resourceIds: row.resource_ids,
    categories: row.categories,
    hash: row.hash?.toString('hex') ?? null,
  };
}

function where(filter: AuditFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    clauses.push(clause);
    params.push(value);
  };
  if (filter.actor) add('actor_id = ?', filter.actor);
  if (filter.memberId) add('resource_ids @> array[?]::text[]', filter.memberId);
  if (filter.action) add('action = ?', filter.action);
  if (filter.outcome) add('outcome = ?', filter.outcome);
  if (filter.from) add('occurred_at >= ?', filter.from);
  if (filter.to) add('occurred_at < ?', filter.to);
  return { sql: clauses.length ? clauses.join(' and ') : 'true', params };
}

/** Actions whose successful events disclosed member data to the event's client. */
export const DISCLOSING_ACTIONS = ['member.read', 'member.list', 'member.deliver'] as const;

/** What one client received in a window: the members (ids) and the data categories involved. */
export interface ClientDisclosures {
  memberIds: string[];
  categories: string[];
}

export interface Disclosure {
  at: string;
  partnerId: string;
  categories: string[];
  purpose: string | null;
  action: string;
}

/** Compliance queries over the audit trail: search, streamed SIEM export, accounting of disclosures. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly em: EntityManager) {}

  /** Newest first, keyset-paged by sequence number. */
  async search(filter: AuditFilter, page: { beforeSeq?: number; limit: number }) {
    const { sql, params } = where(filter);
    const rows = await this.em
      .fork()
      .execute<AuditRow[]>(
        `select ${AUDIT_ROW_COLUMNS} from audit_event where ${sql}${page.beforeSeq ? ' and seq < ?' : ''} order by seq desc limit ?`,
        [...params, ...(page.beforeSeq ? [page.beforeSeq] : []), page.limit],
      );
    const data = rows.map(exported);
    const last = data.at(-1);
    return {
      data,
      nextCursor:
        data.length === page.limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null,
    };
  }

  /** Oldest first, streamed in batches so an export of millions of events holds little memory. */
  exportStream(filter: AuditFilter, format: ExportFormat): Readable {
    const em = this.em.fork();
    const { sql, params } = where(filter);
    async function* lines() {
      let after = 0;
      for (;;) {
        const rows = await em.execute<AuditRow[]>(
          `select ${AUDIT_ROW_COLUMNS} from audit_event where ${sql} and seq > ? order by seq limit 2000`,
          [...params, after],
        );
        if (rows.length === 0) return;
        for (const row of rows) yield `${formatLine(format, exported(row))}\n`;
        after = Number(rows[rows.length - 1].seq);
      }
    }
    return Readable.from(lines());
  }

  /**
   * Every member disclosed to one OAuth client in [from, to): successful reads and lists by the
   * client (its change-feed pages are lists), and deliveries to the webhook subscriptions it
   * registered (a delivery's event names the subscription as its client). For breach incidents.
   */
  async disclosedToClient(clientId: string, window: { from: Date; to: Date }): Promise<ClientDisclosures> {
    const em = this.em.fork();
    const params = [clientId, clientId, window.from, window.to];
    const actions = DISCLOSING_ACTIONS.map((a) => `'${a}'`).join(', ');
    const hits = `
      with subscriptions as (
        select unnest(resource_ids) as id from audit_event
         where client_id = ? and action = 'webhook_subscription.create' and outcome = 'success')
      select resource_ids, categories from audit_event
       where (client_id = ? or (action = 'member.deliver' and client_id in (select id from subscriptions)))
         and action in (${actions}) and outcome = 'success' and occurred_at >= ? and occurred_at < ?`;
    const members = await em.execute<Array<{ id: string }>>(
      `select distinct unnest(resource_ids) as id from (${hits}) h order by id`,
      params,
    );
    const categories = await em.execute<Array<{ category: string }>>(
      `select distinct unnest(categories) as category from (${hits}) h order by category`,
      params,
    );
    return { memberIds: members.map((m) => m.id), categories: categories.map((c) => c.category) };
  }

  /**
   * §164.528 accounting of disclosures: each successful read of the member's data by a partner
   * within six years, with the categories it received and the purpose of use.
   */
  async disclosures(memberId: string, since: Date): Promise<Disclosure[]> {
    const rows = await this.em.fork().execute<AuditRow[]>(
      `select ${AUDIT_ROW_COLUMNS} from audit_event
        where resource_ids @> array[?]::text[] and outcome = 'success' and partner_id is not null
          and action in ('member.read', 'member.list') and occurred_at >= ? order by seq`,
      [memberId, since],
    );
    return rows.map((r) => ({
      at: new Date(r.occurred_at).toISOString(),
      partnerId: r.partner_id!,
      categories: r.categories ?? [],
      purpose: r.purpose,
      action: r.action,
    }));
  }

  /**
   * The partners that received any of `categories` of the member (a read, a list or change-feed
   * page, a delivery) and by which actions: who must hear of an amendment (§164.526(c)(3)).
   */
  async recipients(
    memberId: string,
    categories: readonly string[],
  ): Promise<Array<{ partnerId: string; actions: string[] }>> {
    if (categories.length === 0) return [];
    const rows = await this.em.fork().execute<Array<{ partner_id: string; actions: string[] }>>(
      `select partner_id, array_agg(distinct action order by action) as actions from audit_event
        where resource_ids @> array[?]::text[] and outcome = 'success' and partner_id is not null
          and action in (${DISCLOSING_ACTIONS.map((d) => `'${d}'`).join(', ')})
          and categories && array[${categories.map(() => '?').join(', ')}]::text[]
        group by partner_id order by partner_id`,
      [memberId, ...categories],
    );
    return rows.map((r) => ({ partnerId: r.partner_id, actions: r.actions }));
  }
}
