import { Injectable } from '@nestjs/common';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import { AccessDenied, type Actor, type DataCategory, type PartnerPrincipal } from '@app/common';
import { VendorsService } from '@app/vendors';
import { MEMBER_FIELDS, type MemberField } from './catalog/field-catalog';
import { BaaRequired } from './member.errors';
import { readableCategories, type MemberValues } from './projection';

/** The partner behind a partner route; an admin token on one is refused. */
export function partnerOf(actor: Actor): PartnerPrincipal {
  if (!actor.principal || actor.principal.kind === 'admin') throw new AccessDenied('admin_on_partner_route');
  return actor.principal;
}

/**
 * What a partner may read and send about members: its token's scopes ∩ its registered categories ∩
 * its vendor's BAA in effect today. Refusals are audited (and BAA refusals alerted). Consent plugs
 * in at `visibleCategories`, which already answers per member. Organization visibility (BOLA) is
 * identity's ObjectAccessService.
 */
@Injectable()
export class MemberAccessPolicy {
  constructor(
    private readonly vendors: VendorsService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
  ) {}

  /** The categories this partner may read at all (before any per-member rule). */
  async readable(actor: Actor, principal: PartnerPrincipal, action: string): Promise<DataCategory[]> {
    const baa = await this.requireBaa(actor, principal, action);
    return readableCategories(principal.scopes, principal.categories, baa);
  }

  /**
   * The categories shown for each member, given what `readable` allowed: today the same for every
   * member; a member's consent narrows its own entry. One call per page, not per member.
   */
  visibleCategories(
    _principal: PartnerPrincipal,
    readable: readonly DataCategory[],
    members: readonly { id: string; organizationId: string }[],
  ): Promise<Map<string, DataCategory[]>> {
    // Asynchronous already: consent will be read from the database, one query per page.
    return Promise.resolve(new Map(members.map((m) => [m.id, [...readable]])));
  }

  /** Data received from a partner must also be covered: each submitted category in its registration and its BAA. */
  async requireCategories(
    actor: Actor,
    principal: PartnerPrincipal,
    action: string,
    values: MemberValues,
  ): Promise<void> {
    const covered = new Set(
      (await this.requireBaa(actor, principal, action)).filter((c) => principal.categories.includes(c)),
    );
    const submitted = [...new Set(Object.keys(values).map((f) => MEMBER_FIELDS[f as MemberField].category))];
    const uncovered = submitted.filter((c) => !covered.has(c));
    if (uncovered.length === 0) return;
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action,
      outcome: 'denied',
      statusCode: 403,
      reason: 'category_not_covered',
    });
    throw new AccessDenied(
      'category_not_covered',
      `Categories not covered by the partner's registration and BAA: ${uncovered.join(', ')}.`,
    );
  }

  /** The BAA gate: no ePHI to or from a vendor without a BAA in effect today. Refusals are audited and alerted. */
  async requireBaa(actor: Actor, principal: PartnerPrincipal, action: string): Promise<DataCategory[]> {
    const baa = await this.vendors.baaToday(principal.vendorId);
    if (baa.inEffect) return baa.categories;
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action,
      outcome: 'denied',
      statusCode: 403,
      reason: 'baa_not_in_effect',
    });
    await this.alerts.raise('baa_refusal', 'medium', `partner:${principal.partnerId}`, {
      vendorId: principal.vendorId,
    });
    throw new BaaRequired();
  }
}
