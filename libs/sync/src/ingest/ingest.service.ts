import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import {
  AccessDenied,
  type Actor,
  Clock,
  type DataCategory,
  DomainError,
  newId,
  type PartnerPrincipal,
  problemTypeUri,
  RequestValidationFailed,
  ResourceNotFound,
} from '@app/common';
import { ObjectAccessService, type ObjectDenial } from '@app/identity';
import {
  compileValidator,
  CREATE_MEMBER_SCHEMA,
  MEMBER_FIELDS,
  MemberAccessPolicy,
  MemberWriter,
  partnerOf,
  senderOf,
  valuesFromGroups,
  type FieldOwner,
  type MemberField,
  type MemberValues,
} from '@app/members';
import { ReconciliationService } from '../reconciliation/reconciliation.service';
import { AppliedEventsStore } from './applied-events.store';
import { ChangeGroupCommit } from './change-group-commit';
import {
  conflictsOf,
  effectiveWrites,
  planChange,
  sideOf,
  verdictOf,
  type FieldConflict,
} from './change-plan';
import { BatchTooLarge, ChangeConflict } from './ingest.errors';
import { BATCH_ITEM_SCHEMA, BATCH_SCHEMA, MAX_BATCH_UPDATES, UPDATE_SCHEMA } from './update-schemas';

/** One incoming change, from the updates route, a batch item or (later) the poller. */
export interface UpdateItem {
  memberId?: string;
  sourceRef?: string;
  organizationId?: string;
  eventId: string;
  occurredAt: string;
  changes: Record<string, unknown>;
}

/** What one change did. `rejected` keeps the refusal, so the single route can answer it as the error it is. */
export type ItemResult =
  | {
      result: 'applied';
      id: string;
      version: number;
      created?: true;
      skipped?: FieldConflict[];
      caseId?: string;
    }
  | { result: 'duplicate'; id: string; version: number }
  | { result: 'conflict'; id: string; fields: FieldConflict[]; caseId?: string }
  | { result: 'rejected'; error: DomainError };

/** A batch item's answer: the result, a refusal as its problem type and field names (never values). */
export type BatchItemAnswer =
  | Exclude<ItemResult, { result: 'rejected' }>
  | { result: 'rejected'; type: string; detail?: string; fields?: string[] };

/** Who sends a request's changes: resolved once per request, used for every item. */
export interface ChangeSender {
  actor: Actor;
  principal: PartnerPrincipal;
  side: FieldOwner;
  sender: string;
  /** The categories the partner may send: its registration ∩ its BAA in effect. */
  covered: ReadonlySet<DataCategory>;
}

const validateUpdate =
  compileValidator<Omit<UpdateItem, 'memberId' | 'sourceRef' | 'organizationId'>>(UPDATE_SCHEMA);
const validateItem = compileValidator<UpdateItem>(BATCH_ITEM_SCHEMA);
const validateBatch = compileValidator<{ updates: unknown[] }>(BATCH_SCHEMA);
const validateCreate = compileValidator<Record<string, unknown>>(CREATE_MEMBER_SCHEMA);

/** Thrown inside a transaction to roll it back: the same event was recorded by a concurrent request. */
class EventRecordedMeanwhile extends Error {}

/**
 * Signed updates and batches from a source: each change is decided field by field by the catalog's
 * conflict policies against the locked member, written through MemberWriter, its event id recorded
 * (applied once per source, however it arrives) and audited in the transaction of the change.
 * Concurrent changes share transactions (ChangeGroupCommit), each answered after its commit.
 * `apply` is the one path every change takes (the poller will call it too).
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly em: EntityManager,
    private readonly writer: MemberWriter,
    private readonly policy: MemberAccessPolicy,
    private readonly access: ObjectAccessService,
    private readonly audit: AuditService,
    private readonly events: AppliedEventsStore,
    private readonly cases: ReconciliationService,
    private readonly commits: ChangeGroupCommit,
    private readonly clock: Clock,
  ) {}

  /** POST /members/{memberId}/updates: the change's result, or its refusal or conflict as an error. */
  async update(
    actor: Actor,
    memberId: string,
    body: unknown,
  ): Promise<Exclude<ItemResult, { result: 'rejected' | 'conflict' }>> {
    const input = validateUpdate(body);
    const sender = await this.senderFor(actor, 'member.update');
    const outcome = await this.apply(sender, { ...input, memberId });
    switch (outcome.result) {
      case 'rejected':
        throw outcome.error;
      case 'conflict':
        throw new ChangeConflict(outcome.id, outcome.fields, outcome.caseId);
      case 'applied':
      case 'duplicate':
        return outcome;
    }
  }

  /** POST /sync/batches: one answer per item, in order; one bad item never fails the others. */
  async batch(actor: Actor, body: unknown): Promise<{ results: BatchItemAnswer[] }> {
    const updates = (body as { updates?: unknown } | null)?.updates;
    if (Array.isArray(updates) && updates.length > MAX_BATCH_UPDATES)
      throw new BatchTooLarge(MAX_BATCH_UPDATES);
    const input = validateBatch(body);
    const sender = await this.senderFor(actor, 'sync.batch');
    // Staged one after another (a member's changes keep batch order), committed in shared transactions.
    const staged: Array<Promise<Settled>> = [];
    for (const raw of input.updates) {
      let item: UpdateItem;
      try {
        item = validateItem(raw);
      } catch (error) {
        staged.push(Promise.resolve(failed(error)));
        continue;
      }
      staged.push((await this.stage(sender, item)).settled);
    }
    const outcomes = await Promise.all(staged);
    return { results: outcomes.map((outcome) => batchAnswer(unwrap(outcome))) };
  }

  /** The partner, its side and what it may send; a partner without a BAA in effect is refused whole (403). */
  async senderFor(actor: Actor, action: string): Promise<ChangeSender> {
    const principal = partnerOf(actor);
    const baa = await this.policy.requireBaa(actor, principal, action);
    return {
      actor,
      principal,
      side: sideOf(principal.partnerType),
      sender: senderOf(actor),
      covered: new Set(baa.filter((c) => principal.categories.includes(c))),
    };
  }

  /**
   * Applies one change. Domain refusals (validation, categories, a member not visible) come back as
   * `rejected`; anything unexpected (the database gone) is thrown, so no answer claims what did not happen.
   */
  async apply(sender: ChangeSender, item: UpdateItem): Promise<ItemResult> {
    return unwrap(await (await this.stage(sender, item)).settled);
  }

  /**
   * Everything before a change's transaction, awaited in the caller's order (a create commits
   * here, so later items of a batch find its member); the returned promise settles once the change
   * itself has committed in a group (ChangeGroupCommit). It never rejects: a batch holds many at once.
   * (Wrapped in an object: an async function returning a promise would wait for it.)
   */
  private async stage(sender: ChangeSender, item: UpdateItem): Promise<{ settled: Promise<Settled> }> {
    try {
      if ((item.memberId === undefined) === (item.sourceRef === undefined))
        throw new RequestValidationFailed([
          { field: item.memberId ? 'sourceRef' : 'memberId', rules: ['oneOf'] },
        ]);
      const values = valuesFromGroups(item.changes);
      await this.requireCovered(sender, values);
      const memberId =
        item.memberId ?? (await this.writer.existingId(sender.principal.partnerId, item.sourceRef!));
      if (memberId) return { settled: this.change(sender, memberId, item, values).then(settled, failed) };
      return { settled: Promise.resolve(settled(await this.create(sender, item, values))) };
    } catch (error) {
      return { settled: Promise.resolve(failed(error)) };
    }
  }

  /** A change of a member that exists: decided against its locked values and stamps. */
  private async change(
    sender: ChangeSender,
    memberId: string,
    item: UpdateItem,
    values: MemberValues,
  ): Promise<ItemResult> {
    const partnerId = sender.principal.partnerId;
    const occurredAt = new Date(item.occurredAt);
    const now = this.clock.now();
    let outcome: ItemResult | ObjectDenial;
    try {
      outcome = await this.commits.run(async (em): Promise<ItemResult | ObjectDenial> => {
        const member = await this.writer.lockStamped(em, memberId);
        const denial = this.access.denial(sender.actor, member);
        if (denial) return denial;
        const locked = member!;
        const seen = await this.events.find(em, partnerId, item.eventId);
        if (seen) return { result: 'duplicate', id: seen.memberId, version: seen.version };

        const current = await this.writer.currentValues(locked);
        const plan = planChange(
          values,
          { side: sender.side, sourceId: sender.sender, occurredAt },
          current,
          locked.fieldMeta,
        );
        // Values already held under a stamp as new are not rewritten (no version bump for a replay).
        const writes = effectiveWrites(plan.apply, occurredAt, current, locked.fieldMeta);
        const verdict = verdictOf(plan);
        const conflicts = conflictsOf(plan);

        let caseId: string | undefined;
        if (plan.manual.length > 0) {
          caseId = await this.cases.open(em, locked, {
            sourcePartnerId: partnerId,
            eventId: item.eventId,
            fields: plan.manual,
            values,
            side: sender.side,
            occurredAt,
            now,
          });
          await this.audit.record(em, {
            ...auditActor(sender.actor),
            action: 'reconciliation_case.open',
            resourceType: 'reconciliation_case',
            resourceIds: [caseId, memberId],
            categories: categoriesOf(plan.manual),
            outcome: 'success',
            statusCode: verdict === 'write' ? 200 : 409,
          });
        }
        let version = locked.version;
        if (verdict === 'write' && Object.keys(writes).length > 0) {
          version = await this.writer.replaceFields(em, locked, writes, {
            sender: sender.sender,
            occurredAt,
            now,
            side: sender.side,
          });
          await this.audit.record(em, {
            ...auditActor(sender.actor),
            action: 'member.update',
            resourceType: 'member',
            resourceIds: [memberId],
            categories: categoriesOf(Object.keys(writes) as MemberField[]),
            outcome: 'success',
            statusCode: 200,
          });
        }
        if (verdict === 'write' || caseId) {
          const recorded = await this.events.record(em, {
            sourcePartnerId: partnerId,
            eventId: item.eventId,
            memberId,
            version,
            at: now,
          });
          if (!recorded) throw new EventRecordedMeanwhile();
        }
        const withCase = caseId ? { caseId } : {};
        return verdict === 'write'
          ? {
              result: 'applied',
              id: memberId,
              version,
              ...(conflicts.length ? { skipped: conflicts } : {}),
              ...withCase,
            }
          : { result: 'conflict', id: memberId, fields: conflicts, ...withCase };
      });
    } catch (error) {
      if (!(error instanceof EventRecordedMeanwhile)) throw error;
      return this.duplicateOf(partnerId, item.eventId);
    }
    if (typeof outcome === 'string') return this.access.refuse(sender.actor, 'member', memberId, outcome);
    if (outcome.result === 'conflict' && !outcome.caseId) {
      // Nothing changed: the refusal is audited after the transaction, on a connection of its own.
      await this.audit.recordStandalone({
        ...auditActor(sender.actor),
        action: 'member.update',
        resourceType: 'member',
        resourceIds: [memberId],
        categories: categoriesOf(Object.keys(values) as MemberField[]),
        outcome: 'denied',
        statusCode: 409,
        reason: outcome.fields.some((f) => f.reason === 'not_owner') ? 'not_owner' : 'stale',
      });
    }
    return outcome;
  }

  /**
   * An unknown sourceRef: the change creates the member, so it must be a complete create (the
   * signed create's rules). Nothing held, nothing to conflict with: every value sent is set, as
   * the create route sets them. Losing a race to another create of the sourceRef makes it a change.
   */
  private async create(sender: ChangeSender, item: UpdateItem, values: MemberValues): Promise<ItemResult> {
    const principal = sender.principal;
    const organizationId =
      item.organizationId ??
      (principal.organizationIds.length === 1 ? principal.organizationIds[0] : undefined);
    validateCreate({
      eventId: item.eventId,
      occurredAt: item.occurredAt,
      sourceRef: item.sourceRef,
      organizationId,
      ...item.changes,
    });
    if (!principal.organizationIds.includes(organizationId!)) {
      await this.audit.recordStandalone({
        ...auditActor(sender.actor),
        action: 'member.create',
        outcome: 'denied',
        statusCode: 404,
        reason: 'organization_not_linked',
      });
      throw new ResourceNotFound('organization');
    }
    const now = this.clock.now();
    const member = await this.writer.prepare({
      id: newId('member'),
      organizationId: organizationId!,
      sourcePartnerId: principal.partnerId,
      sourceRef: item.sourceRef!,
      values,
      sender: sender.sender,
      occurredAt: new Date(item.occurredAt),
      now,
      side: sender.side,
    });
    let created: boolean;
    try {
      created = await this.em.fork().transactional(async (em) => {
        if (!(await this.writer.create(em, member))) return false;
        const recorded = await this.events.record(em, {
          sourcePartnerId: principal.partnerId,
          eventId: item.eventId,
          memberId: member.id,
          version: 1,
          at: now,
        });
        if (!recorded) throw new EventRecordedMeanwhile();
        await this.audit.record(em, {
          ...auditActor(sender.actor),
          action: 'member.create',
          resourceType: 'member',
          resourceIds: [member.id],
          categories: categoriesOf(Object.keys(values) as MemberField[]),
          outcome: 'success',
          statusCode: 200,
        });
        return true;
      });
    } catch (error) {
      if (!(error instanceof EventRecordedMeanwhile)) throw error;
      return this.duplicateOf(principal.partnerId, item.eventId);
    }
    if (created) return { result: 'applied', id: member.id, version: 1, created: true };
    const existing = await this.writer.existingId(principal.partnerId, item.sourceRef!);
    if (!existing) throw new Error('a member insert conflicted on a sourceRef that does not exist');
    return this.change(sender, existing, item, values);
  }

  /** Every submitted category must be in the partner's registration and its BAA (403, audited). */
  private async requireCovered(sender: ChangeSender, values: MemberValues): Promise<void> {
    const uncovered = categoriesOf(Object.keys(values) as MemberField[]).filter(
      (c) => !sender.covered.has(c),
    );
    if (uncovered.length === 0) return;
    await this.audit.recordStandalone({
      ...auditActor(sender.actor),
      action: 'member.update',
      outcome: 'denied',
      statusCode: 403,
      reason: 'category_not_covered',
    });
    throw new AccessDenied(
      'category_not_covered',
      `Categories not covered by the partner's registration and BAA: ${uncovered.join(', ')}.`,
    );
  }

  private async duplicateOf(partnerId: string, eventId: string): Promise<ItemResult> {
    const seen = await this.events.find(this.em.fork(), partnerId, eventId);
    if (!seen) throw new Error('an event recorded meanwhile is not found');
    return { result: 'duplicate', id: seen.memberId, version: seen.version };
  }
}

/** A change's outcome, or the error it met (a domain refusal becomes `rejected`; anything else is rethrown by `unwrap`). */
type Settled = { outcome: ItemResult } | { error: unknown };

function settled(outcome: ItemResult): Settled {
  return { outcome };
}

function failed(error: unknown): Settled {
  return error instanceof DomainError ? { outcome: { result: 'rejected', error } } : { error };
}

function unwrap(settled: Settled): ItemResult {
  if ('error' in settled) throw settled.error;
  return settled.outcome;
}

function categoriesOf(fields: readonly MemberField[]): DataCategory[] {
  return [...new Set(fields.map((f) => MEMBER_FIELDS[f].category))];
}

/** A batch item's answer; a refusal keeps its problem type, detail and field names. */
export function batchAnswer(outcome: ItemResult): BatchItemAnswer {
  if (outcome.result !== 'rejected') return outcome;
  const error = outcome.error;
  return {
    result: 'rejected',
    type: problemTypeUri(error.type),
    detail: error.message,
    ...(error instanceof RequestValidationFailed ? { fields: error.violations.map((v) => v.field) } : {}),
  };
}
