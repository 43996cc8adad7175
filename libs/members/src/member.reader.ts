import { Injectable } from '@nestjs/common';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import type { Actor, PartnerPrincipal } from '@app/common';
import { SignedCursors } from '@app/crypto';
import { ObjectAccessService } from '@app/identity';
import { fieldsOf } from './catalog/field-catalog';
import { MemberAccessPolicy, memberShown, partnerOf } from './member-access.policy';
import { MemberCipher } from './member-cipher';
import { etagOf } from './member-etag';
import { IntegrityViolation, InvalidCursor } from './member.errors';
import { MemberStore, type StoredMember } from './member.store';
import { projectMember, type MemberValues } from './projection';

export interface ListQuery {
  cursor?: string;
  limit?: number;
  updatedSince?: string;
  organizationId?: string;
}

/** A list cursor's signed state: the last row's keyset position and the query it belongs to. */
interface MemberListCursor {
  u: string;
  i: string;
  o: string | null;
  s: string | null;
  p: string;
}

/**
 * Member reads for partners: one member or a keyset page, projected to what the access policy
 * allows for each member, ciphertexts of other fields never selected. Every read is audited.
 */
@Injectable()
export class MemberReader {
  constructor(
    private readonly policy: MemberAccessPolicy,
    private readonly access: ObjectAccessService,
    private readonly store: MemberStore,
    private readonly cipher: MemberCipher,
    private readonly cursors: SignedCursors,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
  ) {}

  /**
   * The source that created a member and its own id for it: ids only, no ePHI, so not an audited read.
   * Deliveries back to that source address the member by its sourceRef.
   */
  sourceOf(
    organizationId: string,
    memberId: string,
  ): Promise<{ partnerId: string; sourceRef: string } | null> {
    return this.store.sourceOf(organizationId, memberId);
  }

  /** The organization of a live member (null when there is none): an id, no ePHI, so not an audited read. */
  async organizationOf(memberId: string): Promise<string | null> {
    return (await this.store.findLive(memberId, []))?.organizationId ?? null;
  }

  /** The member as this caller may see it; a member it may not see answers 404 like a missing one. */
  async get(actor: Actor, memberId: string): Promise<{ document: Record<string, unknown>; etag: string }> {
    const principal = partnerOf(actor);
    const readable = await this.policy.readable(actor, principal, 'member.read');
    const stored = await this.store.findLive(memberId, readable.flatMap(fieldsOf));
    await this.access.assertVisible(actor, 'member', memberId, stored);
    const member = stored!;
    const categories = (await this.policy.visibleCategories(principal, readable, [member])).get(member.id);
    if (!memberShown(principal, categories))
      return this.policy.refuseUnconsented(actor, 'member.read', memberId);
    const values = await this.cipher.open(member);
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'member.read',
      resourceType: 'member',
      resourceIds: [memberId],
      outcome: 'success',
      statusCode: 200,
      categories,
    });
    await this.alerts.noteMemberReads(principal.id, 1);
    return { document: projectMember(toRecord(member, values), categories), etag: etagOf(member.version) };
  }

  /**
   * A keyset page. A member whose ciphertext fails its integrity check is withheld (its id listed
   * in `withheld`, an alert raised) rather than failing the page for every other member.
   */
  async list(
    actor: Actor,
    query: ListQuery,
  ): Promise<{ data: Record<string, unknown>[]; withheld: string[]; nextCursor: string | null }> {
    const principal = partnerOf(actor);
    const readable = await this.policy.readable(actor, principal, 'member.list');
    const cursor = query.cursor ? await this.readCursor(query.cursor, principal, query) : undefined;
    const organizations = query.organizationId
      ? principal.organizationIds.filter((o) => o === query.organizationId)
      : principal.organizationIds;
    const limit = query.limit ?? 50;
    const page =
      organizations.length === 0
        ? []
        : await this.store.page(organizations, readable.flatMap(fieldsOf), {
            after: cursor,
            updatedSince: query.updatedSince,
            limit,
          });
    const visible = await this.policy.visibleCategories(principal, readable, page);
    const data: Record<string, unknown>[] = [];
    const withheld: string[] = [];
    for (const stored of page) {
      // Left out, not shown empty: a member hidden by consent is not disclosed even by its id. The
      // cursor below still moves past it.
      const categories = visible.get(stored.id);
      if (!memberShown(principal, categories)) continue;
      try {
        data.push(projectMember(toRecord(stored, await this.cipher.open(stored)), categories));
      } catch (error) {
        if (!(error instanceof IntegrityViolation)) throw error;
        withheld.push(stored.id);
      }
    }
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'member.list',
      resourceType: 'member',
      resourceIds: data.map((m) => m.id as string),
      outcome: 'success',
      statusCode: 200,
      categories: readable,
    });
    await this.alerts.noteMemberReads(principal.id, data.length);
    const last = page[page.length - 1];
    const nextCursor =
      page.length === limit && last
        ? await this.cursors.sign({
            u: last.updatedAt.toISOString(),
            i: last.id,
            o: query.organizationId ?? null,
            s: query.updatedSince ?? null,
            p: principal.partnerId,
          } satisfies MemberListCursor)
        : null;
    return { data, withheld, nextCursor };
  }

  /** Tampered, foreign or re-targeted cursors are refused. */
  private async readCursor(
    cursor: string,
    principal: PartnerPrincipal,
    query: ListQuery,
  ): Promise<{ updatedAt: string; id: string }> {
    const state = await this.cursors.verify<MemberListCursor>(cursor);
    if (
      !state ||
      typeof state.u !== 'string' ||
      typeof state.i !== 'string' ||
      state.p !== principal.partnerId ||
      state.o !== (query.organizationId ?? null) ||
      state.s !== (query.updatedSince ?? null)
    ) {
      throw new InvalidCursor();
    }
    return { updatedAt: state.u, id: state.i };
  }
}

/** A stored member and its opened values, ready for `projectMember`. */
export function toRecord(stored: StoredMember, values: MemberValues) {
  return {
    id: stored.id,
    organizationId: stored.organizationId,
    version: stored.version,
    status: stored.status,
    updatedAt: stored.updatedAt.toISOString(),
    values,
  };
}
