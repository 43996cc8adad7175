import { Injectable } from '@nestjs/common';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, ResourceNotFound } from '@app/common';
import { partnerMaySeeMember, partnerMaySeeOrganization } from './object-access';

export interface OwnedResource {
  id: string;
  organizationId: string;
}

/** Why a resource is hidden from a caller; all answer the same 404. */
export type ObjectDenial = 'not_found' | 'organization_not_linked' | 'outside_member_scope';

/**
 * A live member's organization, or null when there is none (ids only, no ePHI). The members lib
 * registers it at start, so identity can vet a member-scoped token request without reading
 * members' tables or importing that lib.
 */
export type MemberOrganizationLookup = (memberId: string) => Promise<string | null>;

/**
 * The reusable BOLA gate for every member route: a member of an organization the partner is not
 * linked to, or other than a member-scoped token's member, answers exactly like a missing one
 * (404), and the refusal is audited.
 */
@Injectable()
export class ObjectAccessService {
  private memberOrganization?: MemberOrganizationLookup;

  constructor(private readonly audit: AuditService) {}

  useMemberLookup(lookup: MemberOrganizationLookup): void {
    if (this.memberOrganization) throw new Error('a member lookup is already registered');
    this.memberOrganization = lookup;
  }

  /** Whether a partner linked to `organizationIds` may see this member; unknown and unlinked are both denied. */
  async memberDenial(organizationIds: readonly string[], memberId: string): Promise<ObjectDenial | null> {
    // Fail closed: a process without the members lib vets no member.
    if (!this.memberOrganization) throw new Error('no member lookup registered');
    const organizationId = await this.memberOrganization(memberId);
    if (organizationId === null) return 'not_found';
    return organizationIds.includes(organizationId) ? null : 'organization_not_linked';
  }

  /** Reads and refusals outside a transaction: checks, and audits and throws a refusal. */
  async assertVisible(
    actor: Actor,
    resourceType: string,
    requestedId: string,
    found: OwnedResource | null,
  ): Promise<void> {
    const denial = this.denial(actor, found);
    if (denial) await this.refuse(actor, resourceType, requestedId, denial);
  }

  /**
   * The check alone, with no I/O: a caller holding a transaction (and its pool connection) decides
   * with this, ends its transaction, then calls `refuse`; auditing needs a connection of its own.
   */
  denial(actor: Actor, found: OwnedResource | null): ObjectDenial | null {
    if (!found) return 'not_found';
    const principal = actor.principal;
    if (principal?.kind === 'admin') return null;
    if (!principal || !partnerMaySeeOrganization(principal, found.organizationId))
      return 'organization_not_linked';
    return partnerMaySeeMember(principal, found.id) ? null : 'outside_member_scope';
  }

  /** Audits a refusal and answers it as a missing resource. */
  async refuse(
    actor: Actor,
    resourceType: string,
    requestedId: string,
    denial: ObjectDenial,
  ): Promise<never> {
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: `${resourceType}.read`,
      resourceType,
      resourceIds: [requestedId],
      outcome: 'denied',
      statusCode: 404,
      reason: denial,
    });
    throw new ResourceNotFound(resourceType);
  }
}
