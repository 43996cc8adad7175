import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '@app/common';
import type { SealedNote } from '@app/members';

export type CaseStatus = 'open' | 'resolved';
export type Resolution = 'keep_ours' | 'take_theirs' | 'new_value';

export interface NewCase {
  id: string;
  memberId: string;
  organizationId: string;
  sourcePartnerId: string;
  eventId: string;
  /** Catalog field names the case holds. */
  fields: string[];
  openedAt: Date;
  proposalOccurredAt: Date;
  proposal: SealedNote;
}

export interface CaseSummary {
  id: string;
  memberId: string;
  fields: string[];
  openedAt: Date;
}

export interface LockedCase extends CaseSummary {
  organizationId: string;
  status: CaseStatus;
  proposalOccurredAt: Date;
  proposal: SealedNote;
}

type Row = Record<string, unknown>;

// Opened inside an ingest transaction: the hot path's prepared statement.
const INSERT = preparedStatement(
  'reconciliation_case_insert',
  `insert into reconciliation_case (id, member_id, organization_id, source_partner_id, event_id, fields, status,
     opened_at, proposal_occurred_at, proposal_key_version, proposal_enc)
   values ($1, $2, $3, $4, $5, $6::text[], 'open', $7, $8, $9, $10)`,
);

/**
 * Reconciliation cases. The incoming values are stored only sealed under the member's data key
 * (so deleting the member crypto-shreds them too); the rest of a row names fields, never values.
 */
@Injectable()
export class ReconciliationCaseStore {
  async open(em: EntityManager, c: NewCase): Promise<void> {
    await runPrepared(em, INSERT, [
      c.id,
      c.memberId,
      c.organizationId,
      c.sourcePartnerId,
      c.eventId,
      c.fields,
      c.openedAt,
      c.proposalOccurredAt,
      c.proposal.keyVersion,
      c.proposal.sealed,
    ]);
  }

  /** A keyset page in (openedAt, id) order. */
  async page(
    em: EntityManager,
    status: CaseStatus,
    after: { openedAt: Date; id: string } | undefined,
    limit: number,
  ): Promise<CaseSummary[]> {
    const rows = after
      ? await em.execute<Row[]>(
          `select id, member_id, fields, opened_at from reconciliation_case
           where status = ? and (opened_at, id) > (?, ?) order by opened_at, id limit ?`,
          [status, after.openedAt, after.id, limit],
        )
      : await em.execute<Row[]>(
          `select id, member_id, fields, opened_at from reconciliation_case
           where status = ? order by opened_at, id limit ?`,
          [status, limit],
        );
    return rows.map(summaryOf);
  }

  /** Locks a case for its decision; null when there is none. */
  async lock(em: EntityManager, id: string): Promise<LockedCase | null> {
    const [row] = await em.execute<Row[]>(
      `select id, member_id, organization_id, fields, status, opened_at, proposal_occurred_at,
         proposal_key_version, proposal_enc from reconciliation_case where id = ? for update`,
      [id],
    );
    if (!row) return null;
    return {
      ...summaryOf(row),
      organizationId: row.organization_id as string,
      status: row.status as CaseStatus,
      proposalOccurredAt: new Date(row.proposal_occurred_at as string),
      proposal: { keyVersion: Number(row.proposal_key_version), sealed: row.proposal_enc as Buffer },
    };
  }

  async resolve(
    em: EntityManager,
    id: string,
    decision: { resolution: Resolution; resolvedAt: Date; resolvedBy: string },
  ): Promise<void> {
    await em.execute(
      `update reconciliation_case set status = 'resolved', resolution = ?, resolved_at = ?, resolved_by = ?
       where id = ? and status = 'open'`,
      [decision.resolution, decision.resolvedAt, decision.resolvedBy, id],
    );
  }
}

function summaryOf(row: Row): CaseSummary {
  return {
    id: row.id as string,
    memberId: row.member_id as string,
    fields: row.fields as string[],
    openedAt: new Date(row.opened_at as string),
  };
}
