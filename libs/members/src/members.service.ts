import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { CompactSign, compactVerify } from 'jose';
import { AlertsService, AuditQueryService, AuditService, auditActor } from '@app/audit';
import {
  AccessDenied,
  Clock,
  newId,
  ResourceNotFound,
  type Actor,
  type DataCategory,
  type PartnerPrincipal,
} from '@app/common';
import { BlindIndexService, DataKeysService, SystemSecretsService } from '@app/crypto';
import { ObjectAccessService, PartnersService } from '@app/identity';
import { VendorsService } from '@app/vendors';
import {
  BLIND_INDEXED_FIELDS,
  fieldsOf,
  MEMBER_FIELDS,
  normalizeForIndex,
  type MemberField,
} from './catalog/field-catalog';
import { CREATE_MEMBER_SCHEMA, PREFERENCES_SCHEMA } from './catalog/member-schema';
import { compileValidator } from './catalog/schema-validator';
import { MemberCipher } from './member-cipher';
import {
  BaaRequired,
  IfMatchRequired,
  IntegrityViolation,
  InvalidCursor,
  MemberAlreadyExists,
  VersionMismatch,
} from './member.errors';
import { MemberStore, type StoredMember } from './member.store';
import { projectMember, readableCategories, valuesFromGroups, type MemberValues } from './projection';

interface CreateMemberBody {
  eventId: string;
  occurredAt: string;
  sourceRef: string;
  organizationId: string;
  [group: string]: unknown;
}

export interface ListQuery {
  cursor?: string;
  limit?: number;
  updatedSince?: string;
  organizationId?: string;
}

interface CursorState {
  u: string;
  i: string;
  o: string | null;
  s: string | null;
  p: string;
}

const validateCreate = compileValidator<CreateMemberBody>(CREATE_MEMBER_SCHEMA);
const validatePreferences = compileValidator<Record<string, unknown>>(PREFERENCES_SCHEMA);
const DATA_KEY_VERSION = 1;
const SIX_YEARS_MS = 6 * 365.25 * 24 * 3600 * 1000;

export const etagOf = (version: number) => `"${version}"`;

/**
 * Member use cases: create, read (projected), list, preference changes and deletion. Each one
 * authorizes (scope, organization, BAA), then reads or writes ciphertext only, then audits.
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly em: EntityManager,
    private readonly store: MemberStore,
    private readonly cipher: MemberCipher,
    private readonly dataKeys: DataKeysService,
    private readonly blindIndex: BlindIndexService,
    private readonly secrets: SystemSecretsService,
    private readonly access: ObjectAccessService,
    private readonly vendors: VendorsService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly auditQuery: AuditQueryService,
    private readonly partners: PartnersService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, body: unknown): Promise<{ id: string; version: number }> {
    const principal = partnerOf(actor);
    const input = validateCreate(body);
    if (!principal.organizationIds.includes(input.organizationId)) {
      await this.audit.recordStandalone({
        ...auditActor(actor),
        action: 'member.create',
        outcome: 'denied',
        statusCode: 404,
        reason: 'organization_not_linked',
      });
      throw new ResourceNotFound('organization');
    }
    const values = valuesFromGroups(input);
    await this.requireCategories(actor, principal, 'member.create', values);
    const id = newId('member');
    const now = this.clock.now();
    const key = await this.dataKeys.create(id, DATA_KEY_VERSION);
    const blindIndexes: Partial<Record<MemberField, Buffer>> = {};
    for (const field of BLIND_INDEXED_FIELDS) {
      const value = values[field];
      if (typeof value === 'string')
        blindIndexes[field] = await this.blindIndex.compute(field, normalizeForIndex(field, value));
    }
    const fieldMeta = Object.fromEntries(
      Object.keys(values).map((f) => [
        f,
        { updatedAt: input.occurredAt, source: MEMBER_FIELDS[f as MemberField].owner },
      ]),
    );
    const created = await this.em.fork().transactional(async (em) => {
      const inserted = await this.store.insert(em, {
        id,
        organizationId: input.organizationId,
        sourcePartnerId: principal.partnerId,
        sourceRef: input.sourceRef,
        fieldMeta,
        ciphertexts: this.cipher.seal(
          { id, organizationId: input.organizationId },
          DATA_KEY_VERSION,
          key.plaintext,
          values,
        ),
        blindIndexes,
        keyVersion: DATA_KEY_VERSION,
        wrappedKey: key.wrapped,
        now,
      });
      if (inserted) {
        await this.audit.record(em, {
          ...auditActor(actor),
          action: 'member.create',
          resourceType: 'member',
          resourceIds: [id],
          outcome: 'success',
          statusCode: 201,
        });
      }
      return inserted;
    });
    if (!created) {
      this.dataKeys.forget(id);
      const existing = await this.store.idBySourceRef(principal.partnerId, input.sourceRef);
      throw new MemberAlreadyExists(existing ?? 'unknown');
    }
    return { id, version: 1 };
  }

  /** The member as this caller may see it: scope ∩ partner categories ∩ BAA; others answer 404. */
  async get(actor: Actor, memberId: string): Promise<{ document: Record<string, unknown>; etag: string }> {
    const principal = partnerOf(actor);
    const categories = await this.readable(actor, principal, 'member.read');
    const stored = await this.store.findLive(memberId, categories.flatMap(fieldsOf));
    await this.access.assertVisible(actor, 'member', memberId, stored);
    const values = await this.cipher.open(stored!);
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
    return { document: projectMember(toRecord(stored!, values), categories), etag: etagOf(stored!.version) };
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
    const categories = await this.readable(actor, principal, 'member.list');
    const cursor = query.cursor ? await this.readCursor(query.cursor, principal, query) : undefined;
    const organizations = query.organizationId
      ? principal.organizationIds.filter((o) => o === query.organizationId)
      : principal.organizationIds;
    const limit = query.limit ?? 50;
    const page =
      organizations.length === 0
        ? []
        : await this.store.page(organizations, categories.flatMap(fieldsOf), {
            after: cursor,
            updatedSince: query.updatedSince,
            limit,
          });
    const data: Record<string, unknown>[] = [];
    const withheld: string[] = [];
    for (const stored of page) {
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
      categories,
    });
    await this.alerts.noteMemberReads(principal.id, data.length);
    const last = page[page.length - 1];
    const nextCursor = page.length === limit && last ? await this.writeCursor(last, principal, query) : null;
    return { data, withheld, nextCursor };
  }

  async replacePreferences(
    actor: Actor,
    memberId: string,
    ifMatch: string | undefined,
    body: unknown,
  ): Promise<{ version: number; etag: string }> {
    const principal = partnerOf(actor);
    if (!ifMatch) throw new IfMatchRequired();
    const preferences = validatePreferences(body);
    const values = valuesFromGroups({ preferences });
    await this.requireCategories(actor, principal, 'member.preferences.replace', values);
    const now = this.clock.now();
    const version = await this.em.fork().transactional(async (em) => {
      const stored = await this.store.lockLive(em, memberId);
      await this.access.assertVisible(actor, 'member', memberId, stored);
      if (etagOf(stored!.version) !== ifMatch.trim()) throw new VersionMismatch();
      const key = await this.cipher.dataKeyOf(stored!);
      const sealed = this.cipher.seal(stored!, stored!.keyVersion!, key, values);
      const meta = Object.fromEntries(
        Object.keys(values).map((f) => [f, { updatedAt: now.toISOString(), source: 'b2b_platform' }]),
      );
      const next = await this.store.updateFields(em, memberId, sealed, meta, now);
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'member.preferences.replace',
        resourceType: 'member',
        resourceIds: [memberId],
        outcome: 'success',
        statusCode: 200,
      });
      return next;
    });
    return { version, etag: etagOf(version) };
  }

  /** Deletion by crypto-shredding: the data key is destroyed; a tombstone keeps id, status and audit trail. */
  async delete(actor: Actor, memberId: string): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const stored = await this.store.lockLive(em, memberId);
      await this.access.assertVisible(actor, 'member', memberId, stored);
      await this.store.shred(em, memberId, this.clock.now());
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'member.delete',
        resourceType: 'member',
        resourceIds: [memberId],
        outcome: 'success',
        statusCode: 204,
      });
    });
    this.dataKeys.forget(memberId);
  }

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
    await this.audit.recordStandalone({
      ...auditActor(actor),
      action: 'member.disclosures',
      resourceType: 'member',
      resourceIds: [memberId],
      outcome: 'success',
      statusCode: 200,
    });
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

  private async readable(actor: Actor, principal: PartnerPrincipal, action: string): Promise<DataCategory[]> {
    const baa = await this.requireBaa(actor, principal, action);
    return readableCategories(principal.scopes, principal.categories, baa);
  }

  /** Data received from a partner must also be covered: each submitted category in its registration and its BAA. */
  private async requireCategories(
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
  private async requireBaa(
    actor: Actor,
    principal: PartnerPrincipal,
    action: string,
  ): Promise<DataCategory[]> {
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

  private async writeCursor(
    last: StoredMember,
    principal: PartnerPrincipal,
    query: ListQuery,
  ): Promise<string> {
    const state: CursorState = {
      u: last.updatedAt.toISOString(),
      i: last.id,
      o: query.organizationId ?? null,
      s: query.updatedSince ?? null,
      p: principal.partnerId,
    };
    return new CompactSign(Buffer.from(JSON.stringify(state)))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(await this.secrets.get('cursor'));
  }

  /** Cursors are HS256-signed (JWS compact): tampered, foreign or re-targeted cursors are refused. */
  private async readCursor(
    cursor: string,
    principal: PartnerPrincipal,
    query: ListQuery,
  ): Promise<{ updatedAt: string; id: string }> {
    let state: CursorState;
    try {
      const { payload } = await compactVerify(cursor, await this.secrets.get('cursor'), {
        algorithms: ['HS256'],
      });
      state = JSON.parse(Buffer.from(payload).toString('utf8')) as CursorState;
    } catch {
      throw new InvalidCursor();
    }
    if (
      state.p !== principal.partnerId ||
      state.o !== (query.organizationId ?? null) ||
      state.s !== (query.updatedSince ?? null)
    ) {
      throw new InvalidCursor();
    }
    return { updatedAt: state.u, id: state.i };
  }
}

function partnerOf(actor: Actor): PartnerPrincipal {
  if (!actor.principal || actor.principal.kind === 'admin') throw new AccessDenied('admin_on_partner_route');
  return actor.principal;
}

function toRecord(stored: StoredMember, values: MemberValues) {
  return {
    id: stored.id,
    organizationId: stored.organizationId,
    version: stored.version,
    status: stored.status,
    updatedAt: stored.updatedAt.toISOString(),
    values,
  };
}
