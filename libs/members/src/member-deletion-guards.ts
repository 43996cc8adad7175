import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A member about to be deleted, locked in the deleting transaction: opaque ids only. */
export interface MemberDeletionCandidate {
  id: string;
  organizationId: string;
}

/** A lib that may forbid a deletion (consent's legal holds); members never imports it. */
export interface MemberDeletionGuard {
  readonly name: string;
  /** Runs on the deletion's own `em`, the member locked; throws a DomainError to refuse it. */
  assertDeletable(em: EntityManager, member: MemberDeletionCandidate): Promise<void>;
}

/**
 * Every path that crypto-shreds a member (the partner DELETE route, a rights request) asks these
 * first, inside its transaction. Guards register at module init, like MemberChangeObservers.
 */
@Injectable()
export class MemberDeletionGuards {
  private readonly guards: MemberDeletionGuard[] = [];

  register(guard: MemberDeletionGuard): void {
    if (this.guards.some((g) => g.name === guard.name))
      throw new Error(`member deletion guard ${guard.name} registered twice`);
    this.guards.push(guard);
  }

  async assertDeletable(em: EntityManager, member: MemberDeletionCandidate): Promise<void> {
    for (const guard of this.guards) await guard.assertDeletable(em, member);
  }
}
