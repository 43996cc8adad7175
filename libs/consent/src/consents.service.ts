import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, Clock, newId, RequestValidationFailed, ResourceNotFound } from '@app/common';
import { SignedCursors } from '@app/crypto';
import { PartnersService } from '@app/identity';
import { MemberReader } from '@app/members';
import { ConsentObservers } from './consent-observers';
import { consentInEffect, consentRefusal, consentStatus, type ConsentStatus } from './consent-rule';
import type { ConsentDto, CreateConsentDto, RevokedConsentDto } from './consent.dto';
import { Consent } from './consent.entity';
import { ConsentNotFound, ConsentRefused } from './consent.errors';

/** A list cursor's signed state: the filters it belongs to and the last row's keyset position. */
interface ConsentCursor {
  k: 'cns';
  m: string | null;
  p: string | null;
  s: ConsentStatus | null;
  c: string;
  i: string;
}

export interface ConsentListQuery {
  memberId?: string;
  partnerId?: string;
  status?: ConsentStatus;
  cursor?: string;
  limit?: number;
}

/**
 * Consents as compliance officers record them: created only when they can take effect, revoked
 * with a reason (observers such as sync's revocation notice act in the same transaction), listed
 * and read. Each change and its audit event commit together.
 */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly em: EntityManager,
    private readonly members: MemberReader,
    private readonly partners: PartnersService,
    private readonly observers: ConsentObservers,
    private readonly audit: AuditService,
    private readonly cursors: SignedCursors,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, dto: CreateConsentDto): Promise<{ id: string }> {
    const organizationId = await this.members.organizationOf(dto.memberId);
    if (!organizationId) throw new ResourceNotFound('member');
    const partner = await this.partners.get(dto.partnerId);
    const validFrom = new Date(dto.validFrom);
    const validUntil = dto.validUntil ? new Date(dto.validUntil) : null;
    const refusal = consentRefusal({
      purpose: dto.purpose,
      categories: dto.categories,
      validFrom,
      validUntil,
      memberOrganizationId: organizationId,
      partner,
    });
    if (refusal) throw new ConsentRefused(refusal);
    const id = newId('consent');
    await this.em.fork().transactional(async (em) => {
      await em.insert(Consent, {
        id,
        memberId: dto.memberId,
        organizationId,
        partnerId: partner.id,
        purpose: dto.purpose,
        categories: dto.categories,
        validFrom,
        validUntil,
        status: 'active',
        evidenceSha256: dto.evidenceSha256,
        createdAt: this.clock.now(),
        createdBy: adminOf(actor),
        revokedAt: null,
        revokedBy: null,
        revocationReason: null,
      });
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'consent.create',
        resourceType: 'consent',
        resourceIds: [id, dto.memberId, partner.id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id };
  }

  /** Ends a consent now; repeating it changes nothing and answers the first revocation. */
  async revoke(actor: Actor, consentId: string, reason: string): Promise<RevokedConsentDto> {
    const now = this.clock.now();
    return this.em.fork().transactional(async (em) => {
      const consent = await em.getRepository(Consent).lockById(consentId);
      if (!consent) throw new ConsentNotFound();
      if (consent.status === 'revoked') return revokedView(consent);
      consent.status = 'revoked';
      consent.revokedAt = now;
      consent.revokedBy = adminOf(actor);
      consent.revocationReason = reason;
      await em.flush();
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'consent.revoke',
        resourceType: 'consent',
        resourceIds: [consent.id, consent.memberId, consent.partnerId],
        outcome: 'success',
        statusCode: 200,
        // The audit column holds 80 characters; the full reason stays on the consent.
        reason: reason.slice(0, 80),
      });
      await this.observers.revoked(em, {
        consentId: consent.id,
        memberId: consent.memberId,
        organizationId: consent.organizationId,
        partnerId: consent.partnerId,
        purpose: consent.purpose,
        categories: consent.categories,
        revokedAt: now,
      });
      return revokedView(consent);
    });
  }

  async get(consentId: string): Promise<ConsentDto> {
    const consent = await this.em.fork().findOne(Consent, { id: consentId });
    if (!consent) throw new ConsentNotFound();
    return viewOf(consent, this.clock.now());
  }

  async list(query: ConsentListQuery): Promise<{ data: ConsentDto[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const filters = { m: query.memberId ?? null, p: query.partnerId ?? null, s: query.status ?? null };
    let after: { createdAt: Date; id: string } | null = null;
    if (query.cursor) {
      const state = await this.cursors.verify<ConsentCursor>(query.cursor);
      // A cursor of another list (other filters) or a forged one is refused like a malformed one.
      if (
        !state ||
        state.k !== 'cns' ||
        state.m !== filters.m ||
        state.p !== filters.p ||
        state.s !== filters.s ||
        typeof state.c !== 'string' ||
        typeof state.i !== 'string'
      )
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      after = { createdAt: new Date(state.c), id: state.i };
    }
    const now = this.clock.now();
    const rows = await this.em
      .fork()
      .getRepository(Consent)
      .page(
        { memberId: query.memberId, partnerId: query.partnerId, status: query.status, now },
        after,
        limit + 1,
      );
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      data: page.map((c) => viewOf(c, now)),
      nextCursor: last
        ? await this.cursors.sign({
            k: 'cns',
            ...filters,
            c: last.createdAt.toISOString(),
            i: last.id,
          } satisfies ConsentCursor)
        : null,
    };
  }
}

/** The admin who acted (the column holds 40 characters). */
function adminOf(actor: Actor): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 40);
}

function revokedView(consent: Consent): RevokedConsentDto {
  return { id: consent.id, status: 'revoked', revokedAt: consent.revokedAt!.toISOString() };
}

function viewOf(consent: Consent, now: Date): ConsentDto {
  return {
    id: consent.id,
    memberId: consent.memberId,
    organizationId: consent.organizationId,
    partnerId: consent.partnerId,
    purpose: consent.purpose,
    categories: consent.categories,
    validFrom: consent.validFrom.toISOString(),
    validUntil: consent.validUntil ? consent.validUntil.toISOString() : null,
    status: consentStatus(consent, now),
    inEffect: consentInEffect(consent, consent.purpose, now),
    evidenceSha256: consent.evidenceSha256,
    createdAt: consent.createdAt.toISOString(),
    createdBy: consent.createdBy,
    revokedAt: consent.revokedAt ? consent.revokedAt.toISOString() : null,
    revokedBy: consent.revokedBy ?? null,
    revocationReason: consent.revocationReason ?? null,
  };
}
