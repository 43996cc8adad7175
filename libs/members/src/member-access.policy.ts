import { Injectable } from '@nestjs/common';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import {
  AccessDenied,
  Clock,
  ResourceNotFound,
  type Actor,
  type DataCategory,
  type PartnerPrincipal,
} from '@app/common';
import { VendorsService } from '@app/vendors';
import { MEMBER_FIELDS, type MemberField } from './catalog/field-catalog';
import { MemberConsents, narrowByConsent } from './member-consents';
import { BaaRequired } from './member.errors';
import { readableCategories, type MemberValues } from './projection';

/** The partner behind a partner route; an admin token on one is refused. */
export function partnerOf(actor: Actor): PartnerPrincipal {
  if (!actor.principal || actor.principal.kind === 'admin') throw new AccessDenied('admin_on_partner_route');
  return actor.principal;
}

/**
 * Whether a member is shown at all, given its entry from `visibleCategories`: a partner that
 * requires consent sees a member only through at least one consented category it may read; any
 * other partner sees every member the organization gate let through.
 */
export function memberShown(
  principal: PartnerPrincipal,
  categories: readonly DataCategory[] | undefined,
): categories is DataCategory[] {
  return categories !== undefined && (!principal.requiresConsent || categories.length > 0);
}

/** The categories of the fields in `values`, each once. */
function categoriesOf(values: MemberValues): DataCategory[] {
  return [...new Set(Object.keys(values).map((f) => MEMBER_FIELDS[f as MemberField].category))];
}

/**
 * What a partner may read and send about members: its token's scopes ∩ its registered categories ∩
 * its vendor's BAA in effect today ∩, for a partner whose purpose requires it, each member's
 * consent. Refusals are audited (and BAA refusals alerted). Organization visibility (BOLA) is
 * identity's ObjectAccessService.
 */
@Injectable()
export class MemberAccessPolicy {
  constructor(
    private readonly vendors: VendorsService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly consents: MemberConsents,
    private readonly clock: Clock,
  ) {}

  /** The categories this partner may read at all (before any per-member rule). */
  async readable(actor: Actor, principal: PartnerPrincipal, action: string): Promise<DataCategory[]> {
    const baa = await this.requireBaa(actor, principal, action);
    return readableCategories(principal.scopes, principal.categories, baa);
  }

  /**
   * The categories shown for each member, given what `readable` allowed. For a partner that
   * requires consent, each member's entry is narrowed to its consents in effect now for the
   * partner's purpose (empty: no consent; see `memberShown`), read in one query per call and never
   * cached, so a revocation bites on the next request. Other partners pay no query.
   */
  async visibleCategories(
    principal: PartnerPrincipal,
    readable: readonly DataCategory[],
    members: readonly { id: string; organizationId: string }[],
  ): Promise<Map<string, DataCategory[]>> {
    if (!principal.requiresConsent) return new Map(members.map((m) => [m.id, [...readable]]));
    const consented = await this.consents.consentedCategories({
      partnerId: principal.partnerId,
      purpose: principal.purpose,
      organizationIds: [...new Set(members.map((m) => m.organizationId))],
      memberIds: [...new Set(members.map((m) => m.id))],
      now: this.clock.now(),
    });
    return new Map(members.map((m) => [m.id, narrowByConsent(readable, consented.get(m.id))]));
  }

  /** A member hidden by consent answers exactly like a missing one (404); the refusal is audited. */
  async refuseUnconsented(actor: Actor, action: string, memberId: string): Promise<never> {
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action,
      resourceType: 'member',
      resourceIds: [memberId],
      outcome: 'denied',
      statusCode: 404,
      reason: 'no_consent',
    });
    throw new ResourceNotFound('member');
  }

  /**
   * Writes by a partner that requires consent follow the read rule: no consent in effect for the
   * member answers 404 like a missing member; a consent that does not cover every submitted
   * category answers 403. Other partners pay no query.
   */
  async requireConsentedWrite(
    actor: Actor,
    principal: PartnerPrincipal,
    action: string,
    memberId: string,
    values: MemberValues,
  ): Promise<void> {
    if (!principal.requiresConsent) return;
    const consented = (
      await this.consents.consentedCategories({
        partnerId: principal.partnerId,
        purpose: principal.purpose,
        organizationIds: principal.organizationIds,
        memberIds: [memberId],
        now: this.clock.now(),
      })
    ).get(memberId);
    if (!consented || consented.length === 0) return this.refuseUnconsented(actor, action, memberId);
    const outside = categoriesOf(values).filter((c) => !consented.includes(c));
    if (outside.length === 0) return;
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action,
      resourceType: 'member',
      resourceIds: [memberId],
      outcome: 'denied',
      statusCode: 403,
      reason: 'category_not_consented',
    });
    throw new AccessDenied(
      'category_not_consented',
      `Categories not covered by the member's consent: ${outside.join(', ')}.`,
    );
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
    const submitted = categoriesOf(values);
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
