import { Injectable } from '@nestjs/common';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, ResourceNotFound } from '@app/common';
import { partnerMaySeeOrganization } from './object-access';

export interface OwnedResource {
  id: string;
  organizationId: string;
}

/**
 * The reusable BOLA gate for every member route: a member of an organization the partner is not
 * linked to answers exactly like a missing one (404), and the refusal is audited.
 */
@Injectable()
export class ObjectAccessService {
  constructor(private readonly audit: AuditService) {}

  async assertVisible(
    actor: Actor,
    resourceType: string,
    requestedId: string,
    found: OwnedResource | null,
  ): Promise<void> {
    const principal = actor.principal;
    const forbidden =
      found !== null &&
      principal?.kind !== 'admin' &&
      (!principal || !partnerMaySeeOrganization(principal, found.organizationId));
    if (found && !forbidden) return;
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: `${resourceType}.read`,
      resourceType,
      resourceIds: [requestedId],
      outcome: 'denied',
      statusCode: 404,
      reason: forbidden ? 'organization_not_linked' : 'not_found',
    });
    throw new ResourceNotFound(resourceType);
  }
}
