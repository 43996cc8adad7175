import type { Actor } from '@app/common';
import type { MemberField } from './catalog/field-catalog';

/**
 * What a `member_change` row says about a change besides the member, organization and version the
 * statement that makes the change supplies: which fields (catalog names, never values), who sent
 * it, when it happened at the sender and when we recorded it.
 */
export interface MemberChange {
  fields: MemberField[];
  sender: string;
  occurredAt: Date;
  recordedAt: Date;
}

/**
 * Who sent a change, as recorded in `member_change.sender` and each field's `fieldMeta.source`:
 * the partner for a partner's request, the admin for an admin's, the command or job for the service.
 */
export function senderOf(actor: Actor): string {
  const principal = actor.principal;
  if (!principal) return actor.system ?? 'system';
  return principal.kind === 'admin' ? principal.id : principal.partnerId;
}
