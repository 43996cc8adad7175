import { DATA_CATEGORIES, type DataCategory, type JobPayloads } from '@app/common';
import type { ConsentRevokedEvent } from '@app/consent';
import { MEMBER_FIELDS, type MemberChangeEvent, type MemberChangeKind, type MemberField } from '@app/members';

export type OutboxTopic = 'member.changed' | 'consent.revoked';

interface OutboxEntryBase {
  id: string;
  memberId: string;
  organizationId: string;
  categories: DataCategory[];
  /** Who made the change (partner, admin or job id): a delivery never echoes a change to its sender. */
  sender: string;
  occurredAt: Date;
  createdAt: Date;
}

/**
 * One outbox row: that a member changed, in opaque ids, the new version, the kind of change and
 * the data categories it touched. Never a value: the delivery reads the member when it runs, so
 * what it sends is decided by the consent and BAA in force then.
 */
export interface MemberChangedEntry extends OutboxEntryBase {
  topic: 'member.changed';
  version: number;
  kind: MemberChangeKind;
}

/** A consent revoked: its notice goes to the partner whose consent it was, and to no other. */
export interface ConsentRevokedEntry extends OutboxEntryBase {
  topic: 'consent.revoked';
  partnerId: string;
  consentId: string;
  purpose: string;
}

export type OutboxEntry = MemberChangedEntry | ConsentRevokedEntry;

/** The data categories of some catalog fields, each once, in the catalog's category order. */
export function categoriesOf(fields: readonly MemberField[]): DataCategory[] {
  const touched = new Set<DataCategory>(fields.map((field) => MEMBER_FIELDS[field].category));
  return DATA_CATEGORIES.filter((category) => touched.has(category));
}

export function outboxEntryOf(id: string, change: MemberChangeEvent): MemberChangedEntry {
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

/** The outbox row of a consent revocation: ids, the purpose and the category names, never a value. */
export function consentRevokedEntryOf(id: string, event: ConsentRevokedEvent, at: Date): ConsentRevokedEntry {
  return {
    id,
    topic: 'consent.revoked',
    memberId: event.memberId,
    organizationId: event.organizationId,
    partnerId: event.partnerId,
    consentId: event.consentId,
    purpose: event.purpose,
    categories: DATA_CATEGORIES.filter((category) => event.categories.includes(category)),
    sender: 'consent',
    occurredAt: event.revokedAt,
    createdAt: at,
  };
}

/** The `deliveries` job of an outbox row: the row itself, minus its bookkeeping. */
export function deliveryJobOf(entry: OutboxEntry): JobPayloads['deliveries.dispatch'] {
  const common = {
    outboxId: entry.id,
    memberId: entry.memberId,
    organizationId: entry.organizationId,
    categories: entry.categories,
    sender: entry.sender,
    occurredAt: entry.occurredAt.toISOString(),
  };
  if (entry.topic === 'consent.revoked')
    return {
      ...common,
      topic: entry.topic,
      partnerId: entry.partnerId,
      consentId: entry.consentId,
      purpose: entry.purpose,
    };
  return { ...common, topic: entry.topic, version: entry.version, kind: entry.kind };
}
