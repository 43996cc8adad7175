import { preparedStatement } from '@app/common';
import type { AuditRecord } from '../audit-record';
import { chainHash, type ChainedEvent } from './audit-chain';

/** The last link of the chain: the sequence number and hash the next event continues from. */
export interface ChainHead {
  seq: number;
  hash: Buffer;
}

/** An event with its place in the chain, exactly as it is hashed and stored. */
export interface ChainedRow extends ChainedEvent {
  hash: Buffer;
}

/** The fields of an audit record that the chain stores. */
export type AppendableEvent = Omit<AuditRecord, 'auditState'>;

/** Links `events` after `head`: consecutive sequence numbers, each hash over the previous one. */
export function chainEvents(
  head: ChainHead,
  events: readonly AppendableEvent[],
  now: () => Date,
): { rows: ChainedRow[]; head: ChainHead } {
  let seq = head.seq;
  let previous = head.hash;
  const rows = events.map((event): ChainedRow => {
    seq += 1;
    const chained: ChainedEvent = {
      seq,
      occurredAt: event.occurredAt ?? now(),
      actorType: event.actorType,
      actorId: event.actorId ?? null,
      clientId: event.clientId ?? null,
      partnerId: event.partnerId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent ?? null,
      method: event.method ?? null,
      route: event.route ?? null,
      action: event.action,
      resourceType: event.resourceType ?? null,
      // Copied, so a caller changing its array after the call cannot make the row differ from its hash.
      resourceIds: event.resourceIds ? [...event.resourceIds] : null,
      purpose: event.purpose ?? null,
      categories: event.categories ? [...event.categories] : null,
      outcome: event.outcome,
      statusCode: event.statusCode ?? null,
      reason: event.reason ?? null,
      requestId: event.requestId ?? null,
    };
    previous = chainHash(previous, chained);
    return { ...chained, hash: previous };
  });
  return { rows, head: { seq, hash: previous } };
}

/**
 * A Postgres array literal of quoted elements (`{"a","b\"c"}`). A row's id list travels as one
 * element of a text[] column parameter, so ragged lists fit `unnest`, which flattens nested arrays.
 */
export function textArrayLiteral(values: readonly string[] | null): string | null {
  if (values === null) return null;
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * Appends a group of events and moves the chain head, in one statement: the head moves only from
 * the head the hashes were computed on (`$21`, `$22`), and the rows are inserted only when it moved.
 * It answers `appended = 1`, or 0 when another writer moved the head first (nothing is written).
 * One text for any group size: the columns travel as arrays that `unnest` turns back into rows.
 */
export const APPEND_EVENTS = preparedStatement(
  'audit_append',
  `with head as (
     update audit_chain_head set seq = $23, hash = $24
     where id = 1 and seq = $21 and hash = $22
     returning id
   ), inserted as (
     insert into audit_event (seq, occurred_at, actor_type, actor_id, client_id, partner_id, ip, user_agent, method,
       route, action, resource_type, resource_ids, purpose, categories, outcome, status_code, reason, request_id, hash)
     select e.seq, e.occurred_at, e.actor_type, e.actor_id, e.client_id, e.partner_id, e.ip, e.user_agent, e.method,
       e.route, e.action, e.resource_type, e.resource_ids::text[], e.purpose, e.categories::text[], e.outcome,
       e.status_code, e.reason, e.request_id, e.hash
     from head cross join unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
       $15::text[], $16::text[], $17::int[], $18::text[], $19::uuid[], $20::bytea[])
       with ordinality as e(seq, occurred_at, actor_type, actor_id, client_id, partner_id, ip, user_agent, method,
       route, action, resource_type, resource_ids, purpose, categories, outcome, status_code, reason, request_id, hash, n)
     order by e.n
   )
   select count(*)::int as appended from head`,
);

/** Locks the chain head for the rest of the transaction: writers append one after another. */
export const LOCK_CHAIN_HEAD = preparedStatement(
  'audit_lock_head',
  'select seq, hash from audit_chain_head where id = 1 for update',
);

/** The bound values of `APPEND_EVENTS` for `rows`, which continue `from` and end at `to`. */
export function appendValues(rows: readonly ChainedRow[], from: ChainHead, to: ChainHead): unknown[] {
  const column = <T>(pick: (row: ChainedRow) => T): T[] => rows.map(pick);
  return [
    column((r) => r.seq),
    column((r) => r.occurredAt),
    column((r) => r.actorType),
    column((r) => r.actorId),
    column((r) => r.clientId),
    column((r) => r.partnerId),
    column((r) => r.ip),
    column((r) => r.userAgent),
    column((r) => r.method),
    column((r) => r.route),
    column((r) => r.action),
    column((r) => r.resourceType),
    column((r) => textArrayLiteral(r.resourceIds)),
    column((r) => r.purpose),
    column((r) => textArrayLiteral(r.categories)),
    column((r) => r.outcome),
    column((r) => r.statusCode),
    column((r) => r.reason),
    column((r) => r.requestId),
    column((r) => r.hash),
    from.seq,
    from.hash,
    to.seq,
    to.hash,
  ];
}
