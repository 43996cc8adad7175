import { randomBase32, RequestValidationFailed, type AppConfig } from '@app/common';
import { isLoopbackAddress, isPublicAddress } from '../subscriptions/public-address';
import { checkSubscriptionUrl, type AddressPolicy } from '../subscriptions/subscription-url';

/** Opaque id of a polled source (`fds_` + 26 Crockford base32); `src_` is the sim's sourceRef prefix. */
export const SOURCE_ID = /^fds_[0-9A-HJKMNP-TV-Z]{26}$/;
export const DEFAULT_POLL_INTERVAL_SECONDS = 300;
export const MIN_POLL_INTERVAL_SECONDS = 10;
export const MAX_POLL_INTERVAL_SECONDS = 86_400;
/** Changes asked for per page: the sim (and the DESIGN feed) accepts 1-1000. */
export const FEED_PAGE_LIMIT = 200;

export function newSourceId(): string {
  return `fds_${randomBase32()}`;
}

/** The wrap context (AAD) of a source's bearer token: moved to another row, it no longer unwraps. */
export function tokenWrapContext(sourceId: string): string {
  return `sync-source-token:${sourceId}`;
}

/**
 * Where a feed may be fetched from. A source is registered by an admin (DESIGN §4), so outside
 * production a loopback feed (the sim, a local system) is allowed; production feeds are public only.
 * Private ranges are never allowed: nothing registers one today, and it would widen SSRF reach.
 */
export function feedAddressPolicy(env: AppConfig['env']): AddressPolicy {
  return env === 'production'
    ? isPublicAddress
    : (address) => isPublicAddress(address) || isLoopbackAddress(address);
}

/** The feed URL as stored, or a 400 naming the field (never echoing the URL). */
export function checkFeedUrl(raw: string, env: AppConfig['env']): string {
  const check = checkSubscriptionUrl(raw, feedAddressPolicy(env));
  if (!check.ok) throw new RequestValidationFailed([{ field: 'changeFeedUrl', rules: [check.reason] }]);
  return check.href;
}

/** `<feed>?cursor=&limit=`; no cursor = from the beginning. Existing query parameters are kept. */
export function feedPageUrl(href: string, cursor: string | null, limit: number): string {
  const url = new URL(href);
  if (cursor !== null) url.searchParams.set('cursor', cursor);
  else url.searchParams.delete('cursor');
  url.searchParams.set('limit', String(limit));
  return url.href;
}

export interface FeedChange {
  sourceRef: string;
  eventId: string;
  occurredAt: string;
  changes: Record<string, unknown>;
}

export interface FeedPage {
  data: FeedChange[];
  nextCursor: string;
  hasMore: boolean;
}

/** A page as the DESIGN feed answers it, or null: a malformed page is never half-applied. */
export function parseFeedPage(body: unknown): FeedPage | null {
  if (typeof body !== 'object' || body === null) return null;
  const page = body as Record<string, unknown>;
  if (!Array.isArray(page.data) || typeof page.nextCursor !== 'string' || typeof page.hasMore !== 'boolean')
    return null;
  if (page.nextCursor.length === 0 || page.nextCursor.length > 2048) return null;
  for (const item of page.data as unknown[]) {
    if (typeof item !== 'object' || item === null) return null;
    const change = item as Record<string, unknown>;
    if (
      typeof change.sourceRef !== 'string' ||
      typeof change.eventId !== 'string' ||
      typeof change.occurredAt !== 'string' ||
      typeof change.changes !== 'object' ||
      change.changes === null ||
      Array.isArray(change.changes)
    )
      return null;
  }
  return { data: page.data as FeedChange[], nextCursor: page.nextCursor, hasMore: page.hasMore };
}

/**
 * Lag, in whole seconds: how long since the poller last read the feed to its end (`lastSuccessAt`).
 * Every change committed to the feed before that moment has been applied; null before the first.
 */
export function lagSeconds(nowMs: number, lastSuccessAt: Date | null): number | null {
  if (!lastSuccessAt) return null;
  return Math.max(0, Math.floor((nowMs - lastSuccessAt.getTime()) / 1000));
}

export type ItemOutcome = 'applied' | 'duplicate' | 'conflict' | 'rejected';

export interface PageTally {
  processed: number;
  applied: number;
  rejected: number;
  /** The last rejected item's problem type (the change itself is never kept). */
  rejectedType: string | null;
  /** The newest `occurredAt` among the page's changes (ISO), null for an empty page. */
  newestOccurredAt: string | null;
}

/** Counts a settled page: applied, duplicate and conflict are processed; rejected is counted and skipped. */
export function tallyPage(
  items: ReadonlyArray<{ occurredAt: string; outcome: ItemOutcome; rejectedType?: string }>,
): PageTally {
  const tally: PageTally = {
    processed: items.length,
    applied: 0,
    rejected: 0,
    rejectedType: null,
    newestOccurredAt: null,
  };
  let newest = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    if (item.outcome === 'applied') tally.applied += 1;
    if (item.outcome === 'rejected') {
      tally.rejected += 1;
      tally.rejectedType = item.rejectedType ?? null;
    }
    const at = Date.parse(item.occurredAt);
    if (Number.isFinite(at) && at > newest) {
      newest = at;
      tally.newestOccurredAt = new Date(at).toISOString();
    }
  }
  return tally;
}

/**
 * A backfill's progress without a total (the feed has none): how far the page's newest change is
 * between the feed's first change and the moment the backfill started; 100 only once it is done.
 */
export function backfillPercent(firstMs: number | null, newestMs: number | null, startedMs: number): number {
  if (firstMs === null || newestMs === null || startedMs <= firstMs) return 0;
  return Math.max(0, Math.min(99, Math.floor(((newestMs - firstMs) / (startedMs - firstMs)) * 100)));
}

/** Items of one member keep feed order; different members may be applied side by side. */
export function chainsBySourceRef<T extends { sourceRef: string }>(items: readonly T[]): T[][] {
  const chains = new Map<string, T[]>();
  for (const item of items) {
    const chain = chains.get(item.sourceRef);
    if (chain) chain.push(item);
    else chains.set(item.sourceRef, [item]);
  }
  return [...chains.values()];
}
