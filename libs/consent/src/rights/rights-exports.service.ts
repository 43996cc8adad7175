import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService, auditActor } from '@app/audit';
import { type Actor, AppConfig, Clock, DATA_CATEGORIES, ResourceNotFound } from '@app/common';
import { MemberRecords } from '@app/members';
import { EXPORT_LINK_TTL_MS, exportTokenHash, newExportToken } from './export-link-token';
import { memberFhirBundle, type MemberDocument } from './fhir-bundle';
import { actorId } from './rights-ids';
import { ExportLinkGone } from './rights.errors';
import { RightsExportLink, type ExportFormat } from './rights-export-link.entity';
import { RightsRequest } from './rights-request.entity';
import { RightsRequestsService } from './rights-requests.service';
import type { RightsRequestView } from './rights-request-view';

export interface ExportFile {
  content: Buffer;
  contentType: string;
  filename: string;
}

/**
 * The right of access (§164.524): an officer fulfils an access request by issuing a one-time link;
 * the member (or whoever the officer hands it to) downloads the record once, as JSON or FHIR R4.
 * The token is a 256-bit capability kept only as its SHA-256; consuming it, reading the record and
 * auditing the read (member.read, reason = the request) commit together.
 */
@Injectable()
export class RightsExportsService {
  constructor(
    private readonly em: EntityManager,
    private readonly requests: RightsRequestsService,
    private readonly records: MemberRecords,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** access in review (or fulfilled: another link) → fulfilled; answers the link, shown this once. */
  async issueLink(
    actor: Actor,
    id: string,
    reason: string,
  ): Promise<RightsRequestView & { exportUrl: string; expiresAt: string; formats: ExportFormat[] }> {
    const token = newExportToken();
    let expiresAt = new Date(0);
    const { view } = await this.requests.step(actor, id, 'fulfil', reason, async (request, now, em) => {
      if (!(await this.records.liveOrganizationOf(request.memberId))) throw new ResourceNotFound('member');
      expiresAt = new Date(now.getTime() + EXPORT_LINK_TTL_MS);
      await em.insert(RightsExportLink, {
        tokenSha256: exportTokenHash(token),
        requestId: request.id,
        createdAt: now,
        createdBy: actorId(actor),
        expiresAt,
      });
    });
    return {
      ...view,
      exportUrl: `${this.config.auth.issuer}/api/v1/rights-exports/${token}`,
      expiresAt: expiresAt.toISOString(),
      formats: ['json', 'fhir'],
    };
  }

  /** One download: 410 once used or expired, 404 for a token never issued. */
  async download(actor: Actor, token: string, format: ExportFormat): Promise<ExportFile> {
    const now = this.clock.now();
    const hash = exportTokenHash(token);
    return this.em.fork().transactional(async (em) => {
      const links = em.getRepository(RightsExportLink);
      const requestId = await links.consume(hash, format, now);
      if (!requestId) {
        if (await links.findOne({ tokenSha256: hash })) throw new ExportLinkGone();
        throw new ResourceNotFound('export link');
      }
      const request = await em.findOneOrFail(RightsRequest, { id: requestId });
      const member = await this.records.fullDocument(request.memberId);
      // Deleted since the link was issued: nothing to give, and the link stays unused (rolled back).
      if (!member) throw new ResourceNotFound('member');
      const accounting = await this.records.disclosures(request.memberId);
      await this.audit.record(em, {
        ...auditActor(actor),
        action: 'member.read',
        resourceType: 'member',
        resourceIds: [request.memberId, request.id],
        categories: [...DATA_CATEGORIES],
        purpose: 'individual_access',
        outcome: 'success',
        statusCode: 200,
        reason: `rights_request:${request.id}`,
      });
      const document =
        format === 'fhir'
          ? memberFhirBundle(member as MemberDocument, { generatedAt: now, newUuid: randomUUID })
          : {
              requestId: request.id,
              generatedAt: now.toISOString(),
              member,
              disclosures: accounting.data,
            };
      return {
        content: Buffer.from(JSON.stringify(document)),
        contentType: format === 'fhir' ? 'application/fhir+json' : 'application/json',
        filename: `member-record-${request.id}${format === 'fhir' ? '.fhir' : ''}.json`,
      };
    });
  }
}
