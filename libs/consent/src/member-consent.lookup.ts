import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement, runPrepared, type DataCategory } from '@app/common';
import { MemberConsents, type ConsentedCategoriesQuery, type MemberConsentSource } from '@app/members';
import { consentedCategories } from './consent-rule';

/**
 * The partner's non-revoked consents for a page of members, through the partial index on
 * (partner_id, member_id) where status = 'active'. Period and purpose are the pure rule's to
 * decide, so the rule lives in one place; the rows it skips are few (expired ones of one partner).
 */
const CONSENTS_OF_MEMBERS = preparedStatement(
  'consent_of_members',
  `select member_id, purpose, categories, valid_from, valid_until, status from consent
    where partner_id = $1 and member_id = any($2::text[]) and organization_id = any($3::text[])
      and status = 'active'`,
);

type Row = Record<string, unknown>;

/**
 * Answers members' access policy about consent: one query per call (a page), no cache, so a
 * revocation takes effect on the next request. Registered with members at module init.
 */
@Injectable()
export class MemberConsentLookup implements MemberConsentSource, OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly consents: MemberConsents,
  ) {}

  onModuleInit(): void {
    this.consents.register(this);
  }

  async consentedCategories(query: ConsentedCategoriesQuery): Promise<Map<string, DataCategory[]>> {
    if (query.memberIds.length === 0 || query.organizationIds.length === 0) return new Map();
    const rows = await runPrepared<Row>(this.em, CONSENTS_OF_MEMBERS, [
      query.partnerId,
      query.memberIds,
      query.organizationIds,
    ]);
    return consentedCategories(
      rows.map((row) => ({
        memberId: row.member_id as string,
        purpose: row.purpose as string,
        categories: row.categories as DataCategory[],
        validFrom: new Date(row.valid_from as string),
        validUntil: row.valid_until ? new Date(row.valid_until as string) : null,
        status: 'active' as const,
      })),
      query.purpose,
      query.now,
    );
  }
}
