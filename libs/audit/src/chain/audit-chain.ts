import { createHash } from 'node:crypto';

/** The fields of an event that the hash chain covers, in their fixed order. */
export interface ChainedEvent {
  seq: number;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  clientId: string | null;
  partnerId: string | null;
  ip: string | null;
  userAgent: string | null;
  method: string | null;
  route: string | null;
  action: string;
  resourceType: string | null;
  resourceIds: readonly string[] | null;
  purpose: string | null;
  categories: readonly string[] | null;
  outcome: string;
  statusCode: number | null;
  reason: string | null;
  requestId: string | null;
}

export const GENESIS_HASH = Buffer.alloc(32);

function field(value: string | null): Buffer {
  // Length-prefixed (4-byte big-endian byte length), with 0xFFFFFFFF for null: no two different
  // events can encode to the same bytes, whatever characters their values contain.
  if (value === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function list(values: readonly string[] | null): Buffer {
  if (values === null) return field(null);
  return Buffer.concat([field(String(values.length)), ...values.map(field)]);
}

/** The unambiguous byte encoding of an event (length-prefixed fields in a fixed order). */
export function canonicalEvent(event: ChainedEvent): Buffer {
  return Buffer.concat([
    field('audit-event/v1'),
    field(String(event.seq)),
    field(event.occurredAt.toISOString()),
    field(event.actorType),
    field(event.actorId),
    field(event.clientId),
    field(event.partnerId),
    field(event.ip),
    field(event.userAgent),
    field(event.method),
    field(event.route),
    field(event.action),
    field(event.resourceType),
    list(event.resourceIds),
    field(event.purpose),
    list(event.categories),
    field(event.outcome),
    field(event.statusCode === null ? null : String(event.statusCode)),
    field(event.reason),
    field(event.requestId),
  ]);
}

/** hash(n) = SHA-256(hash(n-1) ‖ canonical(event n)). */
export function chainHash(previous: Buffer, event: ChainedEvent): Buffer {
  return createHash('sha256').update(previous).update(canonicalEvent(event)).digest();
}
