import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, Clock, RequestValidationFailed, ResourceNotFound } from '@app/common';
import { SignedCursors } from '@app/crypto';
import { MemberDeletionGuards, MemberRecords, type MemberDeletionCandidate } from '@app/members';
import { actorId, newLegalHoldId } from './rights-ids';
import { LegalHoldActive } from './rights.errors';
import { LegalHold } from './legal-hold.entity';

export interface LegalHoldView {
  id: string;
  memberId: string;
  organizationId: string;
  reason: string;
  placedBy: string;
  placedAt: string;
  active: boolean;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
}

interface ListCursor {
  k: 'lgh';
  p: string;
  i: string;
  f: string;
}

function viewOf(h: LegalHold): LegalHoldView {
  return {
    id: h.id,
    memberId: h.memberId,
    organizationId: h.organizationId,
    reason: h.reason,
    placedBy: h.placedBy,
    placedAt: h.placedAt.toISOString(),
    active: !h.releasedAt,
    releasedAt: h.releasedAt ? h.releasedAt.toISOString() : null,
    releasedBy: h.releasedBy ?? null,
    releaseReason: h.releaseReason ?? null,
  };
}

/**
 * Legal holds: while one is active on a member, no path deletes it. Registered as a member
 * deletion guard, so the partner DELETE route is refused (409 `legal-hold`) as well as a deletion
 * request. Placing and releasing are admin changes, audited with who and why.
 */
@Injectable()
export class LegalHoldsService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly records: MemberRecords,
    private readonly guards: MemberDeletionGuards,
    private readonly audit: AuditService,
    private readonly cursors: SignedCursors,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.guards.register({
      name: 'legal-holds',
      assertDeletable: (em: EntityManager, member: MemberDeletionCandidate) => this.assertNoHold(em, member),
    });
  }

  /** Inside a deletion's transaction: its active holds share-locked, so a release waits for it. */
  async assertNoHold(em: EntityManager, member: MemberDeletionCandidate): Promise<void> {
    const holds = await em.getRepository(LegalHold).activeFor(member.organizationId, member.id);
    if (holds.length > 0) throw new LegalHoldActive(holds.map((h) => h.id));
  }

  async place(actor: Actor, input: { memberId: string; reason: string }): Promise<LegalHoldView> {
    const organizationId = await this.records.liveOrganizationOf(input.memberId);
    if (!organizationId) throw new ResourceNotFound('member');
    const now = this.clock.now();
    const hold: LegalHold = {
      id: newLegalHoldId(),
      memberId: input.memberId,
      organizationId,
      reason: input.reason,
      placedBy: actorId(actor),
      placedAt: now,
      releasedAt: null,
      releasedBy: null,
      releaseReason: null,
    };
    await this.em.fork().transactional(async (em) => {
      await em.insert(LegalHold, hold);
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'legal_hold.place',
        resourceType: 'legal_hold',
        resourceIds: [hold.id, input.memberId],
        outcome: 'success',
        statusCode: 201,
        reason: input.reason.slice(0, 80),
      });
    });
    return viewOf(hold);
  }

  /** Ends a hold; releasing a released hold changes nothing (and is not audited again). */
  async release(actor: Actor, id: string, reason: string): Promise<LegalHoldView> {
    const now = this.clock.now();
    return this.em.fork().transactional(async (em) => {
      const hold = await em.getRepository(LegalHold).lockById(id);
      if (!hold) throw new ResourceNotFound('legal hold');
      if (hold.releasedAt) return viewOf(hold);
      hold.releasedAt = now;
      hold.releasedBy = actorId(actor);
      hold.releaseReason = reason;
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'legal_hold.release',
        resourceType: 'legal_hold',
        resourceIds: [hold.id, hold.memberId],
        outcome: 'success',
        statusCode: 200,
        reason: reason.slice(0, 80),
      });
      return viewOf(hold);
    });
  }

  async get(id: string): Promise<LegalHoldView> {
    const hold = await this.em.fork().findOne(LegalHold, { id });
    if (!hold) throw new ResourceNotFound('legal hold');
    return viewOf(hold);
  }

  async list(query: {
    memberId?: string;
    active?: 'true' | 'false';
    cursor?: string;
    limit?: number;
  }): Promise<{ data: LegalHoldView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const filterKey = `${query.memberId ?? ''}|${query.active ?? ''}`;
    let after: { placedAt: Date; id: string } | null = null;
    if (query.cursor) {
      const state = await this.cursors.verify<ListCursor>(query.cursor);
      if (!state || state.k !== 'lgh' || state.f !== filterKey || typeof state.p !== 'string')
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      after = { placedAt: new Date(state.p), id: state.i };
    }
    const rows = await this.em
      .fork()
      .getRepository(LegalHold)
      .page(
        {
          memberId: query.memberId,
          active: query.active === undefined ? undefined : query.active === 'true',
        },
        after,
        limit + 1,
      );
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      data: page.map(viewOf),
      nextCursor: last
        ? await this.cursors.sign({
            k: 'lgh',
            p: last.placedAt.toISOString(),
            i: last.id,
            f: filterKey,
          } satisfies ListCursor)
        : null,
    };
  }
}
