import { Injectable } from '@nestjs/common';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import { DATA_CATEGORIES, type Actor, type DataCategory, type PartnerPrincipal } from '@app/common';
import { SignedCursors } from '@app/crypto';
import { fieldsOf, MEMBER_FIELDS, type MemberField } from './catalog/field-catalog';
import { MemberAccessPolicy, memberShown, partnerOf } from './member-access.policy';
import {
  changeFeedCursorState,
  changeFeedPositionOf,
  FEED_START,
  type ChangeFeedPosition,
} from './member-change-cursor';
import { MemberChangeFeedStore, type FeedChangeRow } from './member-change-feed.store';
import type { MemberChangeKind } from './member-change-observers';
import { MemberCipher } from './member-cipher';
import { IntegrityViolation, InvalidCursor } from './member.errors';
import { toRecord } from './member.reader';
import { MemberStore } from './member.store';
import { projectMember } from './projection';

/** One change as a partner's feed shows it. */
export interface FeedChange {
  kind: MemberChangeKind;
  memberId: string;
  /** The member's version this change produced (the member shown may be newer). */
  version: number;
  occurredAt: string;
  /** The categories the change touched that this partner may see for this member; empty when `member` is null. */
  categories: DataCategory[];
  /** The member's current projection for this partner; null when it is deleted (or no longer visible). */
  member: Record<string, unknown> | null;
}

export interface FeedPage {
  changes: FeedChange[];
  /** Members whose ciphertexts failed their integrity check: their changes are left out of this page (alerted). */
  withheld: string[];
  /** Always set: where the next read resumes, even when this page is empty. */
  nextCursor: string;
  /** More committed changes were already waiting past this page. */
  hasMore: boolean;
}

/** The categories a change touched that the partner may see, in catalog order. */
export function visibleChangeCategories(
  fields: readonly MemberField[],
  visible: readonly DataCategory[],
): DataCategory[] {
  const touched = new Set(fields.map((f) => MEMBER_FIELDS[f]?.category));
  return DATA_CATEGORIES.filter((c) => touched.has(c) && visible.includes(c));
}

/** The distinct members of a page of changes, with their organizations. */
function membersOf(rows: readonly FeedChangeRow[]): { id: string; organizationId: string }[] {
  const members = new Map(rows.map((r) => [r.memberId, r.organizationId]));
  return [...members].map(([id, organizationId]) => ({ id, organizationId }));
}

/**
 * The partner change feed over `member_change`: the committed changes of the partner's
 * organizations in commit-safe (tx, seq) order, each with the member's current projection under
 * the same rules as a member read (scope ∩ registration ∩ BAA ∩ consent). One indexed query for
 * the changes, one batch read for their members, one audit event per page.
 */
@Injectable()
export class MemberChangeFeed {
  constructor(
    private readonly policy: MemberAccessPolicy,
    private readonly changes: MemberChangeFeedStore,
    private readonly store: MemberStore,
    private readonly cipher: MemberCipher,
    private readonly cursors: SignedCursors,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
  ) {}

  async page(actor: Actor, query: { cursor?: string; limit?: number }): Promise<FeedPage> {
    const principal = partnerOf(actor);
    // A feed page is a list read of its members: the same BAA gate, action and disclosure accounting.
    const readable = await this.policy.readable(actor, principal, 'member.list');
    const after = query.cursor ? await this.readCursor(query.cursor, principal) : FEED_START;
    const limit = query.limit ?? 50;
    const organizations = principal.organizationIds;
    const rows = organizations.length === 0 ? [] : await this.changes.page(organizations, after, limit + 1);
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);

    const stored = await this.store.findLiveMany(
      organizations,
      [...new Set(page.map((r) => r.memberId))],
      readable.flatMap(fieldsOf),
    );
    // Asked for every member of the page, deleted ones too: a consent-requiring partner learns of a
    // deletion only for a member it had consent for.
    const visible = await this.policy.visibleCategories(principal, readable, membersOf(page));
    const documents = new Map<string, Record<string, unknown>>();
    const withheld: string[] = [];
    for (const member of stored) {
      if (!memberShown(principal, visible.get(member.id))) continue;
      try {
        const values = await this.cipher.open(member);
        documents.set(member.id, projectMember(toRecord(member, values), visible.get(member.id) ?? []));
      } catch (error) {
        if (!(error instanceof IntegrityViolation)) throw error;
        withheld.push(member.id);
      }
    }

    // A change of a member hidden by consent is left out; the cursor still moves past it.
    const changes: FeedChange[] = page
      .filter((row) => !withheld.includes(row.memberId) && memberShown(principal, visible.get(row.memberId)))
      .map((row) => {
        const member = documents.get(row.memberId) ?? null;
        return {
          kind: row.kind,
          memberId: row.memberId,
          version: row.version,
          occurredAt: row.occurredAt.toISOString(),
          categories: member ? visibleChangeCategories(row.fields, visible.get(row.memberId) ?? []) : [],
          member,
        };
      });
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'member.list',
      resourceType: 'member',
      resourceIds: [...documents.keys()],
      outcome: 'success',
      statusCode: 200,
      categories: readable,
    });
    await this.alerts.noteMemberReads(principal.id, documents.size);
    // A withheld change still moves the cursor: its member's alert is raised, the feed goes on.
    const last = page[page.length - 1];
    const nextCursor = await this.cursors.sign(
      changeFeedCursorState(last ? last.position : after, principal.partnerId),
    );
    return { changes, withheld, nextCursor, hasMore };
  }

  /** Tampered, malformed or another partner's cursors are refused. */
  private async readCursor(cursor: string, principal: PartnerPrincipal): Promise<ChangeFeedPosition> {
    const position = changeFeedPositionOf(await this.cursors.verify(cursor), principal.partnerId);
    if (!position) throw new InvalidCursor();
    return position;
  }
}
