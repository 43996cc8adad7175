import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditQueryService, AuditService, auditActor } from '@app/audit';
import { type Actor, Clock, RequestValidationFailed, ResourceNotFound } from '@app/common';
import { SignedCursors } from '@app/crypto';
import {
  compileValidator,
  MEMBER_FIELDS,
  MemberDeletionGuards,
  memberGroupsProperties,
  MemberRecords,
  MemberWriter,
  valuesFromGroups,
  type MemberField,
} from '@app/members';
import { dueAt, extendedDueAt } from './rights-due-dates';
import { actorId, newRightsRequestId } from './rights-ids';
import { AmendmentUnreadable, LegalHoldActive, RightsRequestTransitionRefused } from './rights.errors';
import { LegalHold } from './legal-hold.entity';
import { RightsRequest, type AmendmentRecipient } from './rights-request.entity';
import type { RightsRequestFilter } from './rights-request.repository';
import { nextStatus, type RightsRequestAction, type RightsRequestKind } from './rights-request-state';
import { rightsRequestView, type RightsRequestView } from './rights-request-view';
import { AmendmentSubscriberRegistry } from './amendment-subscribers';

/** An amendment's `details`: the proposed change in the member update shape (DESIGN §4). */
const AMENDMENT_DETAILS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['changes'],
  properties: {
    changes: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: memberGroupsProperties(),
    },
  },
};
const validateAmendment = compileValidator<{ changes: Record<string, unknown> }>(AMENDMENT_DETAILS_SCHEMA);

/** A clock a few minutes fast at the member's end is not a future request. */
const RECEIVED_AT_SKEW_MS = 5 * 60 * 1000;

interface ListCursor {
  k: 'rrq';
  d: string;
  i: string;
  f: string;
}

interface StepResult {
  view: RightsRequestView;
  refusedByHolds?: string[];
}

/**
 * Member rights requests: recorded with their due date, moved through their state machine by a
 * compliance officer, every step audited with the admin and reason in the transaction that takes
 * it. An accepted amendment is written through the member writer (so member_change and the outbox
 * deliver it, to the membership system and subscribed partners); a completed deletion crypto-shreds
 * through it, unless a legal hold refuses.
 */
@Injectable()
export class RightsRequestsService {
  constructor(
    private readonly em: EntityManager,
    private readonly records: MemberRecords,
    private readonly writer: MemberWriter,
    private readonly deletionGuards: MemberDeletionGuards,
    private readonly audit: AuditService,
    private readonly auditQuery: AuditQueryService,
    private readonly cursors: SignedCursors,
    private readonly clock: Clock,
    private readonly subscribers: AmendmentSubscriberRegistry,
  ) {}

  async create(
    actor: Actor,
    input: {
      memberId: string;
      kind: RightsRequestKind;
      receivedAt: string;
      details?: Record<string, unknown>;
    },
  ): Promise<{ id: string; dueAt: string; status: 'received' }> {
    const now = this.clock.now();
    const receivedAt = new Date(input.receivedAt);
    if (receivedAt.getTime() > now.getTime() + RECEIVED_AT_SKEW_MS)
      throw new RequestValidationFailed([{ field: 'receivedAt', rules: ['not_in_future'] }]);
    let changes: Record<string, unknown> | null = null;
    if (input.kind === 'amendment') {
      if (input.details === undefined)
        throw new RequestValidationFailed([{ field: 'details', rules: ['required'] }]);
      changes = validateAmendment(input.details).changes;
    } else if (input.details !== undefined) {
      throw new RequestValidationFailed([{ field: 'details', rules: ['not_allowed_for_kind'] }]);
    }
    const organizationId = await this.records.liveOrganizationOf(input.memberId);
    if (!organizationId) throw new ResourceNotFound('member');
    const id = newRightsRequestId();
    const due = dueAt(input.kind, receivedAt);
    const by = actorId(actor);
    await this.em.fork().transactional(async (em) => {
      let proposal: Partial<RightsRequest> = {};
      if (changes) {
        const locked = await this.writer.lock(em, input.memberId);
        if (!locked) throw new ResourceNotFound('member');
        const sealed = await this.writer.sealNote(locked, id, { changes });
        proposal = {
          proposalFields: Object.keys(valuesFromGroups(changes)),
          proposalKeyVersion: sealed.keyVersion,
          proposalEnc: sealed.sealed,
        };
      }
      await em.insert(RightsRequest, {
        id,
        memberId: input.memberId,
        organizationId,
        kind: input.kind,
        status: 'received',
        receivedAt,
        dueAt: due,
        ...proposal,
        createdAt: now,
        createdBy: by,
        updatedAt: now,
        updatedBy: by,
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'rights_request.create',
        resourceType: 'rights_request',
        resourceIds: [id, input.memberId],
        categories: categoriesOf(proposal.proposalFields ?? []),
        outcome: 'success',
        statusCode: 201,
        reason: `kind:${input.kind}`,
      });
    });
    return { id, dueAt: due.toISOString(), status: 'received' };
  }

  async get(id: string): Promise<RightsRequestView> {
    const found = await this.em.fork().findOne(RightsRequest, { id });
    if (!found) throw new ResourceNotFound('rights request');
    return rightsRequestView(found, this.clock.now());
  }

  async list(query: {
    status?: RightsRequestFilter['status'];
    kind?: RightsRequestFilter['kind'];
    overdue?: 'true' | 'false';
    cursor?: string;
    limit?: number;
  }): Promise<{ data: RightsRequestView[]; nextCursor: string | null }> {
    const now = this.clock.now();
    const limit = query.limit ?? 50;
    // A cursor belongs to its filters: the same page order only holds for the same query.
    const filterKey = `${query.status ?? ''}|${query.kind ?? ''}|${query.overdue ?? ''}`;
    let after: { dueAt: Date; id: string } | null = null;
    if (query.cursor) {
      const state = await this.cursors.verify<ListCursor>(query.cursor);
      if (!state || state.k !== 'rrq' || state.f !== filterKey || typeof state.d !== 'string')
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      after = { dueAt: new Date(state.d), id: state.i };
    }
    const rows = await this.em
      .fork()
      .getRepository(RightsRequest)
      .page(
        {
          status: query.status,
          kind: query.kind,
          overdue: query.overdue === undefined ? undefined : query.overdue === 'true',
          now,
        },
        after,
        limit + 1,
      );
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      data: page.map((r) => rightsRequestView(r, now)),
      nextCursor: last
        ? await this.cursors.sign({
            k: 'rrq',
            d: last.dueAt.toISOString(),
            i: last.id,
            f: filterKey,
          } satisfies ListCursor)
        : null,
    };
  }

  /** received → in_review. */
  review(actor: Actor, id: string, reason: string): Promise<RightsRequestView> {
    return this.view(this.step(actor, id, 'review', reason));
  }

  /** Any open request → withdrawn (the member withdrew it). */
  withdraw(actor: Actor, id: string, reason: string): Promise<RightsRequestView> {
    return this.view(this.step(actor, id, 'withdraw', reason));
  }

  /** Access or amendment in review → denied, the written reason kept on the request. */
  deny(actor: Actor, id: string, reason: string): Promise<RightsRequestView> {
    return this.view(
      this.step(actor, id, 'deny', reason, (request) => {
        request.decisionReason = reason;
        return Promise.resolve();
      }),
    );
  }

  /** A deletion in review → refused (e.g. records the law requires us to keep), with the written reason. */
  refuse(actor: Actor, id: string, reason: string): Promise<RightsRequestView> {
    return this.view(
      this.step(actor, id, 'refuse', reason, (request) => {
        request.decisionReason = reason;
        return Promise.resolve();
      }),
    );
  }

  /** The one 30-day extension, with its written reason; a second one is refused. */
  extend(actor: Actor, id: string, reason: string): Promise<RightsRequestView> {
    return this.view(
      this.step(actor, id, 'extend', reason, (request, now) => {
        const extended = extendedDueAt(request.dueAt, Boolean(request.extendedAt));
        if (!extended) throw new RightsRequestTransitionRefused(request.kind, request.status, 'extend_again');
        request.dueAt = extended;
        request.extendedAt = now;
        request.extensionReason = reason;
        return Promise.resolve();
      }),
    );
  }

  /**
   * Accepts an amendment and applies it in the same transaction, through the member writer as the
   * platform's change (member_change + outbox: the membership system and subscribed partners get
   * member.updated). Records which partners had received the amended categories before.
   */
  async accept(
    actor: Actor,
    id: string,
    reason: string,
  ): Promise<RightsRequestView & { memberVersion: number }> {
    const pending = await this.em.fork().findOne(RightsRequest, { id });
    if (!pending) throw new ResourceNotFound('rights request');
    const fields = (pending.proposalFields ?? []) as MemberField[];
    // Read before the transaction: the audit query takes a connection of its own.
    const earlier = await this.auditQuery.recipients(pending.memberId, categoriesOf(fields));
    // Pushed the amendment only by an active member.updated subscription; anyone else is told out of band.
    const subscribed = await this.subscribers.subscribedTo(earlier.map((r) => r.partnerId));
    const recipients: AmendmentRecipient[] = earlier.map((r) => ({
      partnerId: r.partnerId,
      receivedBy: r.actions,
      outOfBand: !subscribed.has(r.partnerId),
    }));
    let memberVersion = 0;
    const result = await this.step(actor, id, 'accept', reason, async (request, now, em) => {
      const locked = await this.writer.lock(em, request.memberId);
      if (!locked) throw new ResourceNotFound('member');
      const opened = (await this.writer.openNote(locked, request.id, {
        keyVersion: request.proposalKeyVersion!,
        sealed: request.proposalEnc!,
      })) as { changes: Record<string, unknown> } | undefined;
      if (!opened) throw new AmendmentUnreadable();
      memberVersion = await this.writer.replaceFields(em, locked, valuesFromGroups(opened.changes), {
        sender: actorId(actor),
        occurredAt: now,
        now,
        side: 'b2b_platform',
      });
      request.notifiedPartners = recipients;
    });
    return { ...result.view, memberVersion };
  }

  /**
   * Completes a deletion: crypto-shreds the member through the member writer (the outbox sends
   * member.deleted to the membership system and partners). Under a legal hold the request is
   * refused instead (committed), and the caller gets 409 `legal-hold`.
   */
  async complete(actor: Actor, id: string, reason: string): Promise<RightsRequestView> {
    const result = await this.step(actor, id, 'complete', reason, async (request, now, em) => {
      const locked = await this.writer.lockForDeletion(em, request.memberId);
      // Already deleted (by its source, say): nothing left to shred, the request is still done.
      if (!locked) return;
      const holds = await em.getRepository(LegalHold).activeFor(request.organizationId, request.memberId);
      if (holds.length > 0) return { refusedByHolds: holds.map((h) => h.id) };
      await this.deletionGuards.assertDeletable(em, locked);
      await this.writer.delete(em, locked, { sender: actorId(actor), occurredAt: now, now });
    });
    if (result.refusedByHolds) throw new LegalHoldActive(result.refusedByHolds);
    return result.view;
  }

  /** The request locked, the transition checked, `apply` run, and the step audited: one transaction. */
  async step(
    actor: Actor,
    id: string,
    action: RightsRequestAction,
    reason: string,
    apply?: (
      request: RightsRequest,
      now: Date,
      em: EntityManager,
    ) => Promise<void | { refusedByHolds: string[] }>,
  ): Promise<StepResult> {
    const now = this.clock.now();
    return this.em.fork().transactional(async (em) => {
      const request = await em.getRepository(RightsRequest).lockById(id);
      if (!request) throw new ResourceNotFound('rights request');
      let next = nextStatus(request.kind, request.status, action);
      if (!next) throw new RightsRequestTransitionRefused(request.kind, request.status, action);
      const outcome = apply ? await apply(request, now, em) : undefined;
      let audited = action as string;
      if (outcome?.refusedByHolds) {
        next = 'refused';
        audited = 'refuse';
        request.decisionReason = `legal_hold: ${outcome.refusedByHolds.join(', ')}`;
      }
      const opened = request.status === 'received' || request.status === 'in_review';
      request.status = next;
      request.updatedAt = now;
      request.updatedBy = actorId(actor);
      if (opened && next !== 'received' && next !== 'in_review') request.closedAt = now;
      await this.audit.record(em, {
        ...auditActor(actor),
        action: `rights_request.${audited}`,
        resourceType: 'rights_request',
        resourceIds: [request.id, request.memberId],
        categories: categoriesOf(request.proposalFields ?? []),
        outcome: outcome?.refusedByHolds ? 'denied' : 'success',
        statusCode: outcome?.refusedByHolds ? 409 : 200,
        reason: (outcome?.refusedByHolds ? 'legal_hold' : reason).slice(0, 80),
      });
      return { view: rightsRequestView(request, now), refusedByHolds: outcome?.refusedByHolds };
    });
  }

  private async view(result: Promise<StepResult>): Promise<RightsRequestView> {
    return (await result).view;
  }
}

function categoriesOf(fields: readonly string[]): string[] {
  return [...new Set(fields.map((f) => MEMBER_FIELDS[f as MemberField].category))];
}
