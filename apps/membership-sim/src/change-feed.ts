import { bearerToken } from './bearer-token';
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor';
import type { MemberChanges } from './member-document';
import { InvalidFeedCursor, SimUnauthorized } from './sim-errors';
import type { SimSettings } from './sim-settings';
import type { SimStore } from './sim-store';

/** One page of the change feed (DESIGN §4, what our poller reads). */
export interface FeedPage {
  data: Array<{ sourceRef: string; eventId: string; occurredAt: string; changes: MemberChanges }>;
  /** Where to continue: after the last change returned (the same position when none was). */
  nextCursor: string;
  hasMore: boolean;
}

export const DEFAULT_FEED_LIMIT = 100;

/** `GET /changes?cursor=&limit=`: every change the sim committed, in commit order, behind a bearer token. */
export class ChangeFeed {
  constructor(
    private readonly store: SimStore,
    private readonly settings: SimSettings,
  ) {}

  async page(
    authorization: string | undefined,
    cursor: string | undefined,
    limit = DEFAULT_FEED_LIMIT,
  ): Promise<FeedPage> {
    const token = bearerToken(authorization);
    if (token === undefined || !this.settings.feedTokenMatches(token))
      throw new SimUnauthorized('change feed');
    const position = cursor === undefined || cursor === '' ? '0' : decodeFeedCursor(cursor);
    if (position === null) throw new InvalidFeedCursor();
    // One row more than asked tells whether another page follows.
    const rows = await this.store.changesAfter(position, limit + 1);
    const page = rows.slice(0, limit);
    return {
      data: page.map(({ sourceRef, eventId, occurredAt, changes }) => ({
        sourceRef,
        eventId,
        occurredAt,
        changes,
      })),
      nextCursor: encodeFeedCursor(page.at(-1)?.position ?? position),
      hasMore: rows.length > limit,
    };
  }
}
