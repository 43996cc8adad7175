import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { Clock, newId, ResourceNotFound, type Actor } from '@app/common';
import { ObjectAccessService, type ObjectDenial } from '@app/identity';
import { CREATE_MEMBER_SCHEMA, PREFERENCES_SCHEMA } from './catalog/member-schema';
import { compileValidator } from './catalog/schema-validator';
import { MemberAccessPolicy, partnerOf } from './member-access.policy';
import { senderOf } from './member-change';
import { etagOf } from './member-etag';
import { MemberDeletionGuards } from './member-deletion-guards';
import { IfMatchRequired, MemberAlreadyExists, VersionMismatch } from './member.errors';
import { MemberWriter } from './member.writer';
import { valuesFromGroups } from './projection';

interface CreateMemberBody {
  eventId: string;
  occurredAt: string;
  sourceRef: string;
  organizationId: string;
  [group: string]: unknown;
}

const validateCreate = compileValidator<CreateMemberBody>(CREATE_MEMBER_SCHEMA);
const validatePreferences = compileValidator<Record<string, unknown>>(PREFERENCES_SCHEMA);

/**
 * Partners' member changes over HTTP: authorize (policy, organization), then one transaction that
 * writes through MemberWriter and audits. A refusal found inside the transaction is audited only
 * after it has ended: auditing takes a pool connection of its own, and waiting for one while
 * holding one is how a burst of refusals once deadlocked the pool.
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly em: EntityManager,
    private readonly writer: MemberWriter,
    private readonly policy: MemberAccessPolicy,
    private readonly access: ObjectAccessService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly deletionGuards: MemberDeletionGuards,
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
    await this.policy.requireCategories(actor, principal, 'member.create', values);
    const member = await this.writer.prepare({
      id: newId('member'),
      organizationId: input.organizationId,
      sourcePartnerId: principal.partnerId,
      sourceRef: input.sourceRef,
      values,
      sender: senderOf(actor),
      occurredAt: new Date(input.occurredAt),
      now: this.clock.now(),
    });
    const created = await this.em.fork().transactional(async (em) => {
      const inserted = await this.writer.create(em, member);
      if (inserted) {
        await this.audit.record(em, {
          ...auditActor(actor),
          action: 'member.create',
          resourceType: 'member',
          resourceIds: [member.id],
          outcome: 'success',
          statusCode: 201,
        });
      }
      return inserted;
    });
    if (!created) {
      const existing = await this.writer.existingId(principal.partnerId, input.sourceRef);
      throw new MemberAlreadyExists(existing ?? 'unknown');
    }
    return { id: member.id, version: 1 };
  }

  async replacePreferences(
    actor: Actor,
    memberId: string,
    ifMatch: string | undefined,
    body: unknown,
  ): Promise<{ version: number; etag: string }> {
    const principal = partnerOf(actor);
    if (!ifMatch) throw new IfMatchRequired();
    const values = valuesFromGroups({ preferences: validatePreferences(body) });
    await this.policy.requireCategories(actor, principal, 'member.preferences.replace', values);
    await this.policy.requireConsentedWrite(actor, principal, 'member.preferences.replace', memberId, values);
    const now = this.clock.now();
    const result = await this.em
      .fork()
      .transactional(async (em): Promise<{ version: number } | ObjectDenial> => {
        const locked = await this.writer.lock(em, memberId);
        const denial = this.access.denial(actor, locked);
        if (denial) return denial;
        if (etagOf(locked!.version) !== ifMatch.trim()) throw new VersionMismatch();
        const version = await this.writer.replaceFields(em, locked!, values, {
          sender: senderOf(actor),
          occurredAt: now,
          now,
        });
        await this.audit.record(em, {
          ...auditActor(actor),
          action: 'member.preferences.replace',
          resourceType: 'member',
          resourceIds: [memberId],
          outcome: 'success',
          statusCode: 200,
        });
        return { version };
      });
    if (typeof result === 'string') return this.access.refuse(actor, 'member', memberId, result);
    return { version: result.version, etag: etagOf(result.version) };
  }

  /** Deletion by crypto-shredding: the data key is destroyed; a tombstone keeps id, status and audit trail. */
  async delete(actor: Actor, memberId: string): Promise<void> {
    const now = this.clock.now();
    const denial = await this.em.fork().transactional(async (em) => {
      const locked = await this.writer.lockForDeletion(em, memberId);
      const hidden = this.access.denial(actor, locked);
      if (hidden) return hidden;
      // A legal hold (consent's guard) refuses here, before anything is shredded.
      await this.deletionGuards.assertDeletable(em, locked!);
      await this.writer.delete(em, locked!, { sender: senderOf(actor), occurredAt: now, now });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'member.delete',
        resourceType: 'member',
        resourceIds: [memberId],
        outcome: 'success',
        statusCode: 204,
      });
      return null;
    });
    if (denial) await this.access.refuse(actor, 'member', memberId, denial);
  }
}
