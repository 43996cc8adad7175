import { Injectable } from '@nestjs/common';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, ResourceNotFound } from '@app/common';
import { partnerMaySeeOrganization } from './object-access';

export interface OwnedResource {
  id: string;
  organizationId: string;
}

/** Why a resource is hidden from a caller; both answer the same 404. */
export type ObjectDenial = 'not_found' | 'organization_not_linked';

/**
 * The reusable BOLA gate for every member route: a member of an organization the partner is not
 * linked to answers exactly like a missing one (404), and the refusal is audited.
 */
@Injectable()
export class ObjectAccessService {
  constructor(private readonly audit: AuditService) {}

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
    return principal && partnerMaySeeOrganization(principal, found.organizationId)
      ? null
      : 'organization_not_linked';
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
