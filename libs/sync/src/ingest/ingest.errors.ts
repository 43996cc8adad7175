import { DomainError } from '@app/common';
import type { FieldConflict } from './change-plan';

const DETAIL = {
  not_owner: 'The change names fields the sender does not own; nothing was applied.',
  stale: 'The change is older than the values held; nothing was applied.',
  manual: 'Both sides changed a critical field; a reconciliation case holds the change for a decision.',
} as const;

/** 409: nothing of the change was applied; `fields` names each field and why (never a value). */
export class ChangeConflict extends DomainError {
  readonly type = 'change-conflict' as const;
  constructor(memberId: string, fields: FieldConflict[], caseId?: string) {
    const reason = fields.some((f) => f.reason === 'not_owner')
      ? 'not_owner'
      : fields.some((f) => f.reason === 'manual')
        ? 'manual'
        : 'stale';
    super(DETAIL[reason]);
    this.extensions.memberId = memberId;
    this.extensions.fields = fields;
    if (caseId) this.extensions.caseId = caseId;
  }
}

/** 413: a batch holds at most this many updates. */
export class BatchTooLarge extends DomainError {
  readonly type = 'payload-too-large' as const;
  constructor(max: number) {
    super(`A batch holds at most ${max} updates; split it.`);
  }
}
