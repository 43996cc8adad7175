import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, Clock, randomBase32, RequestValidationFailed, ResourceNotFound } from '@app/common';
import { SignedCursors } from '@app/crypto';
import {
  compileValidator,
  MEMBER_FIELDS,
  MemberWriter,
  valuesFromGroups,
  type FieldOwner,
  type MemberField,
  type MemberValues,
  type StampedMember,
} from '@app/members';
import { fieldPath } from '../ingest/change-plan';
import { CHANGES_SCHEMA } from '../ingest/update-schemas';
import { CaseAlreadyResolved, ProposalUnreadable } from './reconciliation.errors';
import { ReconciliationCaseStore, type CaseStatus, type Resolution } from './reconciliation-case.store';

/** What a case keeps sealed: the incoming values of its fields and the side that sent them. */
interface Proposal {
  values: MemberValues;
  side: FieldOwner;
}

export interface CasePage {
  data: Array<{ id: string; memberId: string; fields: string[]; openedAt: string }>;
  nextCursor: string | null;
}

interface CaseCursor {
  k: 'rcn';
  s: CaseStatus;
  o: string;
  i: string;
}

const CASE_ID = /^rcn_[0-9A-HJKMNP-TV-Z]{26}$/;
const validateChanges = compileValidator<Record<string, unknown>>(CHANGES_SCHEMA);

/** A case's id: `rcn_` + 26 random Crockford base32 characters, like every id here. */
export function newCaseId(): string {
  return `rcn_${randomBase32()}`;
}

export function isCaseId(value: unknown): value is string {
  return typeof value === 'string' && CASE_ID.test(value);
}

/**
 * Reconciliation cases: a critical field both sides changed since they last agreed. The ingest
 * opens one inside its transaction, sealing the incoming values under the member's data key; a
 * compliance officer lists open cases and decides each (keep ours, take theirs, a new value),
 * applied through the member writer and audited in the same transaction.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly em: EntityManager,
    private readonly store: ReconciliationCaseStore,
    private readonly writer: MemberWriter,
    private readonly audit: AuditService,
    private readonly cursors: SignedCursors,
    private readonly clock: Clock,
  ) {}

  /** Opens a case in the caller's transaction (the member locked); returns its id. */
  async open(
    em: EntityManager,
    member: StampedMember,
    change: {
      sourcePartnerId: string;
      eventId: string;
      fields: MemberField[];
      values: MemberValues;
      side: FieldOwner;
      occurredAt: Date;
      now: Date;
    },
  ): Promise<string> {
    const id = newCaseId();
    const proposal: Proposal = {
      values: Object.fromEntries(change.fields.map((f) => [f, change.values[f]])),
      side: change.side,
    };
    await this.store.open(em, {
      id,
      memberId: member.id,
      organizationId: member.organizationId,
      sourcePartnerId: change.sourcePartnerId,
      eventId: change.eventId,
      fields: change.fields,
      openedAt: change.now,
      proposalOccurredAt: change.occurredAt,
      proposal: await this.writer.sealNote(member, id, proposal),
    });
    return id;
  }

  async list(query: { status?: CaseStatus; cursor?: string; limit?: number }): Promise<CasePage> {
    const status = query.status ?? 'open';
    const limit = query.limit ?? 50;
    let after: { openedAt: Date; id: string } | undefined;
    if (query.cursor) {
      const state = await this.cursors.verify<CaseCursor>(query.cursor);
      if (!state || state.k !== 'rcn' || state.s !== status || typeof state.o !== 'string')
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      after = { openedAt: new Date(state.o), id: state.i };
    }
    const rows = await this.store.page(this.em.fork(), status, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      data: page.map((c) => ({
        id: c.id,
        memberId: c.memberId,
        fields: c.fields.map((f) => fieldPath(f as MemberField)),
        openedAt: c.openedAt.toISOString(),
      })),
      nextCursor: last
        ? await this.cursors.sign({
            k: 'rcn',
            s: status,
            o: last.openedAt.toISOString(),
            i: last.id,
          } satisfies CaseCursor)
        : null,
    };
  }

  /**
   * Decides an open case. `keep_ours` changes no value; `take_theirs` writes the sealed incoming
   * values, stamped as their sender's side at their time; `new_value` writes the officer's value
   * (only the case's fields) as the platform's, now. The case, the change and the audit event
   * commit together.
   */
  async resolve(
    actor: Actor,
    caseId: string,
    decision: { resolution: Resolution; value?: unknown },
  ): Promise<{ memberId: string; version: number }> {
    const now = this.clock.now();
    const officer = actor.principal?.id ?? actor.system ?? 'unknown';
    return this.em.fork().transactional(async (em) => {
      const found = await this.store.lock(em, caseId);
      if (!found) throw new ResourceNotFound('reconciliation case');
      if (found.status !== 'open') throw new CaseAlreadyResolved();
      const fields = found.fields as MemberField[];
      const member = await this.writer.lockStamped(em, found.memberId);
      if (!member) throw new ResourceNotFound('member');
      let version = member.version;
      if (decision.resolution === 'take_theirs') {
        const proposal = (await this.writer.openNote(member, found.id, found.proposal)) as
          Proposal | undefined;
        if (!proposal) throw new ProposalUnreadable();
        version = await this.writer.replaceFields(em, member, proposal.values, {
          sender: officer,
          occurredAt: found.proposalOccurredAt,
          now,
          side: proposal.side,
        });
      } else if (decision.resolution === 'new_value') {
        version = await this.writer.replaceFields(em, member, newValueFor(fields, decision.value), {
          sender: officer,
          occurredAt: now,
          now,
          side: 'b2b_platform',
        });
      }
      await this.store.resolve(em, found.id, {
        resolution: decision.resolution,
        resolvedAt: now,
        resolvedBy: officer.slice(0, 40),
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'reconciliation_case.resolve',
        resourceType: 'reconciliation_case',
        resourceIds: [found.id, found.memberId],
        categories: [...new Set(fields.map((f) => MEMBER_FIELDS[f].category))],
        outcome: 'success',
        statusCode: 200,
        reason: decision.resolution,
      });
      return { memberId: found.memberId, version };
    });
  }
}

/** The officer's value: member groups holding exactly the case's fields (400 otherwise, naming fields only). */
function newValueFor(fields: readonly MemberField[], value: unknown): MemberValues {
  if (value === undefined) throw new RequestValidationFailed([{ field: 'value', rules: ['required'] }]);
  const values = valuesFromGroups(validateChanges(value));
  const extra = (Object.keys(values) as MemberField[]).filter((f) => !fields.includes(f));
  const missing = fields.filter((f) => values[f] === undefined);
  if (extra.length > 0 || missing.length > 0)
    throw new RequestValidationFailed([
      ...extra.map((f) => ({ field: `value.${fieldPath(f)}`, rules: ['not_in_case'] })),
      ...missing.map((f) => ({ field: `value.${fieldPath(f)}`, rules: ['required'] })),
    ]);
  return values;
}
