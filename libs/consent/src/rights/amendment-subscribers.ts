import { Injectable } from '@nestjs/common';

/** Which partners hold an active subscription that pushes them an amendment (sync knows; consent may not import it). */
export interface AmendmentSubscribers {
  subscribedTo(partnerIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Sync registers its subscriptions here at module init, so an accepted amendment can tell the
 * officer which earlier recipients it will reach by push and which must be told out of band. With
 * nothing registered every recipient counts as out of band: the safe answer for an officer.
 */
@Injectable()
export class AmendmentSubscriberRegistry {
  private source: AmendmentSubscribers | null = null;

  register(source: AmendmentSubscribers): void {
    if (this.source) throw new Error('amendment subscribers registered twice');
    this.source = source;
  }

  subscribedTo(partnerIds: readonly string[]): Promise<Set<string>> {
    if (!this.source || partnerIds.length === 0) return Promise.resolve(new Set());
    return this.source.subscribedTo(partnerIds);
  }
}
