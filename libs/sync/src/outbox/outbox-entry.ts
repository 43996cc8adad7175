import { DATA_CATEGORIES, type DataCategory, type JobPayloads } from '@app/common';
import { MEMBER_FIELDS, type MemberChangeEvent, type MemberChangeKind, type MemberField } from '@app/members';

export type OutboxTopic = 'member.changed';

/**
 * One outbox row: that a member changed, in opaque ids, the new version, the kind of change and
 * the data categories it touched. Never a value: the delivery reads the member when it runs, so
 * what it sends is decided by the consent and BAA in force then.
 */
export interface OutboxEntry {
  id: string;
  topic: OutboxTopic;
  memberId: string;
  organizationId: string;
  version: number;
  kind: MemberChangeKind;
  categories: DataCategory[];
  /** Who made the change (partner, admin or job id): a delivery never echoes a change to its sender. */
  sender: string;
  occurredAt: Date;
  createdAt: Date;
}

/** The data categories of some catalog fields, each once, in the catalog's category order. */
export function categoriesOf(fields: readonly MemberField[]): DataCategory[] {
  const touched = new Set<DataCategory>(fields.map((field) => MEMBER_FIELDS[field].category));
  return DATA_CATEGORIES.filter((category) => touched.has(category));
}

export function outboxEntryOf(id: string, change: MemberChangeEvent): OutboxEntry {
  return {
    id,
    topic: 'member.changed',
    memberId: change.memberId,
    organizationId: change.organizationId,
    version: change.version,
    kind: change.kind,
    categories: categoriesOf(change.fields),
    sender: change.sender,
    occurredAt: change.occurredAt,
    createdAt: change.recordedAt,
  };
}

/** The `deliveries` job of an outbox row: the row itself, minus its bookkeeping. */
export function deliveryJobOf(entry: OutboxEntry): JobPayloads['deliveries.dispatch'] {
  return {
    outboxId: entry.id,
    topic: entry.topic,
    memberId: entry.memberId,
    organizationId: entry.organizationId,
    version: entry.version,
    kind: entry.kind,
    categories: entry.categories,
    sender: entry.sender,
    occurredAt: entry.occurredAt.toISOString(),
  };
}
