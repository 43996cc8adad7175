import { Injectable } from '@nestjs/common';
import { AuditQueryService, AuditService, auditActor } from '@app/audit';
import { Clock, ResourceNotFound, type Actor } from '@app/common';
import { BlindIndexService } from '@app/crypto';
import { PartnersService } from '@app/identity';
import { normalizeForIndex, type MemberField } from './catalog/field-catalog';
import { MemberStore } from './member.store';

const SIX_YEARS_MS = 6 * 365.25 * 24 * 3600 * 1000;

/** Admin look-ups: exact-match search through blind indexes, and the accounting of disclosures. */
@Injectable()
export class MemberSearch {
  constructor(
    private readonly store: MemberStore,
    private readonly blindIndex: BlindIndexService,
    private readonly audit: AuditService,
    private readonly auditQuery: AuditQueryService,
    private readonly partners: PartnersService,
    private readonly clock: Clock,
  ) {}

  /** Admin exact-match lookup through a blind index; the value never reaches a URL or a log. */
  async search(actor: Actor, input: { field: MemberField; value: string; organizationId?: string }) {
    const index = await this.blindIndex.compute(input.field, normalizeForIndex(input.field, input.value));
    const found = await this.store.findByBlindIndex(input.field, index, input.organizationId);
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'member.search',
      resourceType: 'member',
      resourceIds: found.map((m) => m.id),
      outcome: 'success',
      statusCode: 200,
      reason: `field:${input.field}`,
    });
    return { data: found };
  }

  /** Disclosures of a member to partners over the last six years (§164.528), newest last, with partner names. */
  async disclosures(actor: Actor, memberId: string) {
    const accounting = await this.accounting(memberId);
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'member.disclosures',
      resourceType: 'member',
      resourceIds: [memberId],
      outcome: 'success',
      statusCode: 200,
    });
    return accounting;
  }

  /** The accounting itself, unaudited: for a caller that audits it with its own purpose (an access export). */
  async accounting(memberId: string) {
    if (!(await this.store.exists(memberId))) throw new ResourceNotFound('member');
    const since = new Date(this.clock.nowMs() - SIX_YEARS_MS);
    const found = await this.auditQuery.disclosures(memberId, since);
    const names = new Map<string, string>();
    for (const partnerId of new Set(found.map((d) => d.partnerId))) {
      names.set(
        partnerId,
        await this.partners.get(partnerId).then(
          (p) => p.name,
          () => 'unknown partner',
        ),
      );
    }
    return {
      memberId,
      since: since.toISOString(),
      data: found.map((d) => ({
        disclosedAt: d.at,
        partnerId: d.partnerId,
        partnerName: names.get(d.partnerId),
        categories: d.categories,
        purpose: d.purpose,
      })),
    };
  }
}
