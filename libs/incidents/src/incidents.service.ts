import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditQueryService, AuditService, auditActor } from '@app/audit';
import {
  Actor,
  Clock,
  isDataCategory,
  RequestValidationFailed,
  ResourceNotFound,
  type DataCategory,
} from '@app/common';
import { KeyProvider, SignedCursors } from '@app/crypto';
import { ClientsService } from '@app/identity';
import { MemberNotices, type AffectedMemberRef } from '@app/members';
import { hhsReport, type HhsReport } from './hhs-report';
import type { AssessmentDto, CreateIncidentDto, NotificationDto } from './incident.dto';
import { Incident, type IncidentNotification } from './incident.entity';
import {
  InvalidIncidentDates,
  NoClientToContain,
  NotificationNotRecorded,
  UnknownIncidentClient,
} from './incident.errors';
import { IncidentMember } from './incident-member.entity';
import {
  incidentKeyContext,
  newIncidentId,
  openIncidentText,
  sealIncidentText,
  type IncidentText,
} from './incident-text';
import { notificationDeadlines, type NotificationDeadlines } from './notification-deadlines';
import { notificationLetter, type NotificationLetter } from './notification-letter';
import { determination, type Determination, type RiskLevel } from './risk-assessment';

/** The audited purpose of every member read an incident makes (states for the media rule, letters). */
export const BREACH_NOTIFICATION_PURPOSE = 'breach_notification';
const INSERT_CHUNK = 1000;

export interface IncidentView {
  id: string;
  discoveredAt: string;
  description: string;
  clientId: string | null;
  window: { from: string | null; to: string | null };
  affectedMembers: { count: number; residentsByState: Record<string, number>; stateUnknown: number };
  categories: DataCategory[];
  assessment: {
    natureAndExtent: { level: RiskLevel; note: string };
    unauthorizedPerson: { level: RiskLevel; note: string };
    acquiredOrViewed: { level: RiskLevel; note: string; acquired: boolean };
    mitigation: { level: RiskLevel; note: string };
    assessedAt: string;
  } | null;
  determination: Determination;
  deadlines: NotificationDeadlines;
  notification: (IncidentNotification & { whatWeAreDoing: string }) | null;
  containedAt: string | null;
  containedBy: string | null;
  createdAt: string;
  createdBy: string;
}

export interface IncidentSummary {
  id: string;
  discoveredAt: string;
  clientId: string | null;
  affectedMembers: number;
  determination: Determination;
  containedAt: string | null;
  createdAt: string;
}

interface ListCursor {
  k: 'inc';
  c: string;
  i: string;
}
interface MembersCursor {
  k: 'inm';
  n: string;
  m: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * Breach incidents: records discovery, computes the affected members from the audit trail (what
 * the named client received in the window) at recording, keeps the four-factor assessment and the
 * notice details, renders letters on demand, and contains the client. Every change is audited in
 * its transaction with the admin and reason; the officer's text is sealed and never logged.
 */
@Injectable()
export class IncidentsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly auditQuery: AuditQueryService,
    private readonly notices: MemberNotices,
    private readonly clients: ClientsService,
    private readonly keyProvider: KeyProvider,
    private readonly cursors: SignedCursors,
    private readonly clock: Clock,
  ) {}

  async create(dto: CreateIncidentDto, actor: Actor): Promise<{ id: string }> {
    const now = this.clock.now();
    const discoveredAt = new Date(dto.discoveredAt);
    if (discoveredAt > now) throw new InvalidIncidentDates('discoveredAt is in the future.');
    const from = dto.from ? new Date(dto.from) : null;
    // A compromised client's window runs until the incident is recorded unless the officer says otherwise.
    const to = dto.to ? new Date(dto.to) : dto.clientId ? now : null;
    if (from && to && from >= to) throw new InvalidIncidentDates('from must be before to.');
    const id = newIncidentId();
    let affected: AffectedMemberRef[] = [];
    let categories: DataCategory[] = [];
    if (dto.clientId) {
      if (!(await this.clients.exists(dto.clientId))) throw new UnknownIncidentClient();
      const disclosed = await this.auditQuery.disclosedToClient(dto.clientId, {
        from: from ?? new Date(0),
        to: to!,
      });
      const organizations = await this.notices.organizationsOf(disclosed.memberIds);
      affected = disclosed.memberIds
        .filter((memberId) => organizations.has(memberId))
        .map((memberId) => ({ memberId, organizationId: organizations.get(memberId)! }));
      categories = disclosed.categories.filter(isDataCategory);
    }
    // Counted now, stored as counts: the media-notice rule needs residents per state, never addresses.
    const residents = await this.notices.residentsByState(actor, affected, this.why(id));
    const key = randomBytes(32);
    const textKey = await this.keyProvider.wrap(key, incidentKeyContext(id));
    const textEnc = sealIncidentText(key, id, {
      description: dto.description,
      notes: null,
      whatWeAreDoing: null,
    });
    await this.em.fork().transactional(async (em) => {
      await em.insert(Incident, {
        id,
        discoveredAt,
        textEnc,
        textKey,
        clientId: dto.clientId ?? null,
        windowFrom: from,
        windowTo: to,
        affectedCount: affected.length,
        categories,
        residentsByState: residents.byState,
        assessment: null,
        assessedAt: null,
        notification: null,
        containedAt: null,
        containedBy: null,
        createdAt: now,
        createdBy: actorId(actor),
        updatedAt: now,
      });
      for (let i = 0; i < affected.length; i += INSERT_CHUNK) {
        await em.insertMany(
          IncidentMember,
          affected.slice(i, i + INSERT_CHUNK).map((m) => ({ incidentId: id, ...m })),
        );
      }
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'incident.create',
        resourceType: 'incident',
        resourceIds: dto.clientId ? [id, dto.clientId] : [id],
        outcome: 'success',
        statusCode: 201,
      });
    });
    return { id };
  }

  async get(incidentId: string): Promise<IncidentView> {
    const incident = await this.find(this.em.fork(), incidentId);
    return this.view(incident, await this.openText(incident));
  }

  async list(page: {
    cursor?: string;
    limit?: number;
  }): Promise<{ data: IncidentSummary[]; nextCursor: string | null }> {
    const limit = page.limit ?? 50;
    let after: { createdAt: Date; id: string } | null = null;
    if (page.cursor) {
      const state = await this.cursors.verify<ListCursor>(page.cursor);
      if (!state || state.k !== 'inc' || typeof state.c !== 'string' || typeof state.i !== 'string') {
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      }
      after = { createdAt: new Date(state.c), id: state.i };
    }
    const rows = await this.em
      .fork()
      .getRepository(Incident)
      .page(after, limit + 1);
    const data = rows.slice(0, limit);
    const last = rows.length > limit ? data[data.length - 1] : null;
    return {
      data: data.map((incident) => ({
        id: incident.id,
        discoveredAt: incident.discoveredAt.toISOString(),
        clientId: incident.clientId ?? null,
        affectedMembers: incident.affectedCount,
        determination: determination(incident.assessment ?? null),
        containedAt: iso(incident.containedAt),
        createdAt: incident.createdAt.toISOString(),
      })),
      nextCursor: last
        ? await this.cursors.sign({
            k: 'inc',
            c: last.createdAt.toISOString(),
            i: last.id,
          } satisfies ListCursor)
        : null,
    };
  }

  /** The affected members (opaque ids), paged in member id order. */
  async members(
    incidentId: string,
    page: { cursor?: string; limit?: number },
  ): Promise<{ data: AffectedMemberRef[]; nextCursor: string | null }> {
    await this.find(this.em.fork(), incidentId);
    const { rows, nextCursor } = await this.memberPage(incidentId, page);
    return { data: rows, nextCursor };
  }

  async assess(incidentId: string, dto: AssessmentDto, actor: Actor): Promise<IncidentView> {
    return this.change(incidentId, actor, 'incident.assess', dto.reason, (incident, text) => {
      incident.assessment = {
        natureAndExtent: { level: dto.natureAndExtent.level },
        unauthorizedPerson: { level: dto.unauthorizedPerson.level },
        acquiredOrViewed: { level: dto.acquiredOrViewed.level, acquired: dto.acquiredOrViewed.acquired },
        mitigation: { level: dto.mitigation.level },
      };
      incident.assessedAt = this.clock.now();
      return {
        ...text,
        notes: {
          natureAndExtent: dto.natureAndExtent.note,
          unauthorizedPerson: dto.unauthorizedPerson.note,
          acquiredOrViewed: dto.acquiredOrViewed.note,
          mitigation: dto.mitigation.note,
        },
      };
    });
  }

  async recordNotification(incidentId: string, dto: NotificationDto, actor: Actor): Promise<IncidentView> {
    const { phone, email, website, postalAddress } = dto.contact;
    if (!phone && !email && !website && !postalAddress) {
      throw new RequestValidationFailed([{ field: 'contact', rules: ['atLeastOne'] }]);
    }
    return this.change(incidentId, actor, 'incident.notification', dto.reason, (incident, text) => {
      incident.notification = {
        contact: {
          ...(phone ? { phone } : {}),
          ...(email ? { email } : {}),
          ...(website ? { website } : {}),
          ...(postalAddress ? { postalAddress } : {}),
        },
        ...(dto.typeOfBreach ? { typeOfBreach: dto.typeOfBreach } : {}),
        ...(dto.locationOfBreachedInformation
          ? { locationOfBreachedInformation: dto.locationOfBreachedInformation }
          : {}),
        ...(dto.safeguardsInPlace ? { safeguardsInPlace: dto.safeguardsInPlace } : {}),
        ...(dto.actionsTaken ? { actionsTaken: dto.actionsTaken } : {}),
      };
      return { ...text, whatWeAreDoing: dto.whatWeAreDoing };
    });
  }

  /**
   * A page of individual notices, rendered now and never stored. Each page reads the members'
   * name and mailing address only, audited as a read for breach notification. Members without
   * both (deleted, no address on file) are listed as `unaddressable`: they need substitute notice.
   */
  async letters(
    incidentId: string,
    page: { cursor?: string; limit?: number },
    actor: Actor,
  ): Promise<{ data: NotificationLetter[]; unaddressable: string[]; nextCursor: string | null }> {
    const incident = await this.find(this.em.fork(), incidentId);
    const text = await this.openText(incident);
    if (!incident.notification || text.whatWeAreDoing === null) throw new NotificationNotRecorded();
    const { rows, nextCursor } = await this.memberPage(incidentId, page);
    const addressees = await this.notices.addressees(actor, rows, this.why(incidentId));
    const facts = {
      breachStart: incident.windowFrom ?? null,
      breachEnd: incident.windowTo ?? null,
      discoveredAt: incident.discoveredAt,
      categories: incident.categories,
      containedAt: incident.containedAt ?? null,
      whatWeAreDoing: text.whatWeAreDoing,
      contact: incident.notification.contact,
    };
    const data: NotificationLetter[] = [];
    const unaddressable: string[] = [];
    for (const { memberId } of rows) {
      const addressee = addressees.get(memberId);
      if (addressee) data.push(notificationLetter(addressee, facts));
      else unaddressable.push(memberId);
    }
    return { data, unaddressable, nextCursor };
  }

  async hhsReport(incidentId: string): Promise<HhsReport> {
    const incident = await this.find(this.em.fork(), incidentId);
    return hhsReport(
      {
        breachStart: incident.windowFrom ?? null,
        breachEnd: incident.windowTo ?? null,
        discoveredAt: incident.discoveredAt,
        affected: incident.affectedCount,
        compromisedClient: !!incident.clientId,
        contained: !!incident.containedAt,
      },
      incident.notification ?? {},
      this.deadlines(incident),
    );
  }

  /**
   * Revokes the named client's credentials and tokens at once (identity does it, and audits it),
   * then records the containment on the incident. Repeating it keeps the first containment time.
   */
  async contain(
    incidentId: string,
    reason: string,
    actor: Actor,
  ): Promise<{ id: string; clientId: string; containedAt: string; alreadyRevoked: boolean }> {
    const incident = await this.find(this.em.fork(), incidentId);
    if (!incident.clientId) throw new NoClientToContain();
    const { alreadyRevoked } = await this.clients.revoke(incident.clientId, actor, reason);
    const containedAt = await this.em.fork().transactional(async (em) => {
      const locked = await this.find(em, incidentId, true);
      if (!locked.containedAt) {
        locked.containedAt = this.clock.now();
        locked.containedBy = actorId(actor);
        locked.updatedAt = locked.containedAt;
      }
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'incident.contain',
        resourceType: 'incident',
        resourceIds: [incidentId, incident.clientId!],
        outcome: 'success',
        statusCode: 200,
        reason: reason.slice(0, 80),
      });
      return locked.containedAt;
    });
    return {
      id: incidentId,
      clientId: incident.clientId,
      containedAt: containedAt.toISOString(),
      alreadyRevoked,
    };
  }

  /** Locks the incident, lets `apply` change it and its text, reseals the text, audits: one transaction. */
  private async change(
    incidentId: string,
    actor: Actor,
    action: string,
    reason: string,
    apply: (incident: Incident, text: IncidentText) => IncidentText,
  ): Promise<IncidentView> {
    const { incident, text } = await this.em.fork().transactional(async (em) => {
      const locked = await this.find(em, incidentId, true);
      const key = await this.keyProvider.unwrap(locked.textKey, incidentKeyContext(incidentId));
      const changed = apply(locked, openIncidentText(key, incidentId, locked.textEnc));
      locked.textEnc = sealIncidentText(key, incidentId, changed);
      locked.updatedAt = this.clock.now();
      await em.flush();
      await this.audit.record(em, {
        ...auditActor(actor),
        action,
        resourceType: 'incident',
        resourceIds: [incidentId],
        outcome: 'success',
        statusCode: 200,
        reason: reason.slice(0, 80),
      });
      return { incident: locked, text: changed };
    });
    return this.view(incident, text);
  }

  private async find(em: EntityManager, incidentId: string, lock = false): Promise<Incident> {
    const incident = await em.findOne(
      Incident,
      { id: incidentId },
      lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
    );
    if (!incident) throw new ResourceNotFound('incident');
    return incident;
  }

  private async memberPage(
    incidentId: string,
    page: { cursor?: string; limit?: number },
  ): Promise<{ rows: AffectedMemberRef[]; nextCursor: string | null }> {
    const limit = page.limit ?? 50;
    let after: string | null = null;
    if (page.cursor) {
      const state = await this.cursors.verify<MembersCursor>(page.cursor);
      // A cursor of another incident (or a forged one) is refused like a malformed one.
      if (!state || state.k !== 'inm' || state.n !== incidentId || typeof state.m !== 'string') {
        throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
      }
      after = state.m;
    }
    const found = await this.em
      .fork()
      .getRepository(IncidentMember)
      .page(incidentId, after, limit + 1);
    const rows = found
      .slice(0, limit)
      .map((m) => ({ memberId: m.memberId, organizationId: m.organizationId }));
    const last = found.length > limit ? rows[rows.length - 1] : null;
    return {
      rows,
      nextCursor: last
        ? await this.cursors.sign({ k: 'inm', n: incidentId, m: last.memberId } satisfies MembersCursor)
        : null,
    };
  }

  private async openText(incident: Incident): Promise<IncidentText> {
    const key = await this.keyProvider.unwrap(incident.textKey, incidentKeyContext(incident.id));
    return openIncidentText(key, incident.id, incident.textEnc);
  }

  private deadlines(incident: Incident): NotificationDeadlines {
    return notificationDeadlines({
      discoveredAt: incident.discoveredAt,
      affected: incident.affectedCount,
      residentsByState: incident.residentsByState,
    });
  }

  private why(incidentId: string) {
    return { purpose: BREACH_NOTIFICATION_PURPOSE, reason: `incident:${incidentId}` };
  }

  private view(incident: Incident, text: IncidentText): IncidentView {
    const known = Object.values(incident.residentsByState).reduce((sum, n) => sum + n, 0);
    const a = incident.assessment;
    return {
      id: incident.id,
      discoveredAt: incident.discoveredAt.toISOString(),
      description: text.description,
      clientId: incident.clientId ?? null,
      window: { from: iso(incident.windowFrom), to: iso(incident.windowTo) },
      affectedMembers: {
        count: incident.affectedCount,
        residentsByState: incident.residentsByState,
        stateUnknown: incident.affectedCount - known,
      },
      categories: incident.categories,
      assessment:
        a && text.notes
          ? {
              natureAndExtent: { ...a.natureAndExtent, note: text.notes.natureAndExtent },
              unauthorizedPerson: { ...a.unauthorizedPerson, note: text.notes.unauthorizedPerson },
              acquiredOrViewed: { ...a.acquiredOrViewed, note: text.notes.acquiredOrViewed },
              mitigation: { ...a.mitigation, note: text.notes.mitigation },
              assessedAt: incident.assessedAt!.toISOString(),
            }
          : null,
      determination: determination(a ?? null),
      deadlines: this.deadlines(incident),
      notification:
        incident.notification && text.whatWeAreDoing !== null
          ? { ...incident.notification, whatWeAreDoing: text.whatWeAreDoing }
          : null,
      containedAt: iso(incident.containedAt),
      containedBy: incident.containedBy ?? null,
      createdAt: incident.createdAt.toISOString(),
      createdBy: incident.createdBy,
    };
  }
}

function actorId(actor: Actor): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 40);
}
