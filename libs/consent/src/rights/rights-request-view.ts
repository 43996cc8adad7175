import { groupName, MEMBER_FIELDS, type MemberField } from '@app/members';
import { isOverdue } from './rights-due-dates';
import type { AmendmentRecipient, RightsRequest } from './rights-request.entity';
import { allowedActions, isOpen, type RightsRequestAction } from './rights-request-state';

export interface RightsRequestView {
  id: string;
  memberId: string;
  organizationId: string;
  kind: RightsRequest['kind'];
  status: RightsRequest['status'];
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
  extension: { at: string; reason: string } | null;
  /** An amendment's proposed fields as `group.key` paths (never values). */
  proposedFields: string[] | null;
  decisionReason: string | null;
  notifiedPartners: AmendmentRecipient[] | null;
  allowedActions: RightsRequestAction[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  closedAt: string | null;
}

/** A field's path in the member document: `contact.phone`, or the group for a list (`dependents`). */
export function fieldPath(field: MemberField): string {
  const spec = MEMBER_FIELDS[field];
  const group = groupName(spec.category);
  return spec.jsonKey === null ? group : `${group}.${spec.jsonKey}`;
}

export function rightsRequestView(r: RightsRequest, now: Date): RightsRequestView {
  return {
    id: r.id,
    memberId: r.memberId,
    organizationId: r.organizationId,
    kind: r.kind,
    status: r.status,
    receivedAt: r.receivedAt.toISOString(),
    dueAt: r.dueAt.toISOString(),
    overdue: isOverdue(isOpen(r.status), r.dueAt, now),
    extension: r.extendedAt ? { at: r.extendedAt.toISOString(), reason: r.extensionReason ?? '' } : null,
    proposedFields: r.proposalFields ? r.proposalFields.map((f) => fieldPath(f as MemberField)) : null,
    decisionReason: r.decisionReason ?? null,
    notifiedPartners: r.notifiedPartners ?? null,
    allowedActions: allowedActions(r.kind, r.status),
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
    updatedAt: r.updatedAt.toISOString(),
    updatedBy: r.updatedBy,
    closedAt: r.closedAt ? r.closedAt.toISOString() : null,
  };
}
