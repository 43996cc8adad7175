import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared } from '@app/common';

const FIND = preparedStatement(
  'sync_applied_event_find',
  `select member_id, version from sync_applied_event where source_partner_id = $1 and event_id = $2`,
);
const INSERT = preparedStatement(
  'sync_applied_event_insert',
  `insert into sync_applied_event (source_partner_id, event_id, member_id, version, applied_at)
   values ($1, $2, $3, $4, $5) on conflict do nothing returning event_id`,
);

export interface AppliedEvent {
  memberId: string;
  version: number;
}

/**
 * The events each source has had applied (webhook or polling alike), written in the transaction of
 * the change they made, so an event is applied once however often it arrives. Prepared statements:
 * this is the ingest hot path.
 */
@Injectable()
export class AppliedEventsStore {
  async find(em: EntityManager, sourcePartnerId: string, eventId: string): Promise<AppliedEvent | null> {
    const [row] = await runPrepared<{ member_id: string; version: string }>(em, FIND, [
      sourcePartnerId,
      eventId,
    ]);
    return row ? { memberId: row.member_id, version: Number(row.version) } : null;
  }

  /** False when the event was recorded meanwhile (the caller rolls its change back and answers duplicate). */
  async record(
    em: EntityManager,
    event: { sourcePartnerId: string; eventId: string; memberId: string; version: number; at: Date },
  ): Promise<boolean> {
    const rows = await runPrepared(em, INSERT, [
      event.sourcePartnerId,
      event.eventId,
      event.memberId,
      event.version,
      event.at,
    ]);
    return rows.length > 0;
  }
}
