import { Injectable } from '@nestjs/common';
import type { Actor } from '@app/common';
import { MemberChangeFeed } from '@app/members';
import { changeFeedEntryOf, type ChangeFeedEntry } from './change-feed-entry';

export interface ChangeFeedPage {
  data: ChangeFeedEntry[];
  nextCursor: string;
  hasMore: boolean;
  /** Only when some member failed its integrity check: its changes are not in `data`. */
  withheld?: string[];
}

/**
 * The partner change feed for pullers: the members lib decides what the partner may see and
 * audits the read (it owns `member_change`); this shapes its answer like an outbound delivery.
 */
@Injectable()
export class ChangeFeedService {
  constructor(private readonly feed: MemberChangeFeed) {}

  async page(actor: Actor, query: { cursor?: string; limit?: number }): Promise<ChangeFeedPage> {
    const page = await this.feed.page(actor, query);
    return {
      data: page.changes.map(changeFeedEntryOf),
      nextCursor: page.nextCursor,
      hasMore: page.hasMore,
      ...(page.withheld.length > 0 ? { withheld: page.withheld } : {}),
    };
  }
}
