import { Injectable } from '@nestjs/common';
import type { DataCategory } from '@app/common';

/** Which members' consents to read: one partner and purpose, a page of members of known organizations. */
export interface ConsentedCategoriesQuery {
  partnerId: string;
  purpose: string;
  organizationIds: readonly string[];
  memberIds: readonly string[];
  now: Date;
}

/** The lib that records consents (consent) answers this; members never imports it. */
export interface MemberConsentSource {
  /** Per member, the union of the categories of its consents in effect at `now`; a member without one is absent. */
  consentedCategories(query: ConsentedCategoriesQuery): Promise<Map<string, DataCategory[]>>;
}

/**
 * Where the access policy asks about consent. The consent lib registers its source at module
 * init; until one is registered every member counts as unconsented, so a partner that requires
 * consent sees no member (fail closed) in a process that does not load consent.
 */
@Injectable()
export class MemberConsents {
  private source: MemberConsentSource | null = null;

  register(source: MemberConsentSource): void {
    if (this.source) throw new Error('a member consent source is already registered');
    this.source = source;
  }

  consentedCategories(query: ConsentedCategoriesQuery): Promise<Map<string, DataCategory[]>> {
    if (!this.source || query.memberIds.length === 0)
      return Promise.resolve(new Map<string, DataCategory[]>());
    return this.source.consentedCategories(query);
  }
}

/** A consent-requiring partner's view of one member: what it may read ∩ what the member consented to, in `readable`'s order. */
export function narrowByConsent(
  readable: readonly DataCategory[],
  consented: readonly DataCategory[] | undefined,
): DataCategory[] {
  return consented ? readable.filter((c) => consented.includes(c)) : [];
}
