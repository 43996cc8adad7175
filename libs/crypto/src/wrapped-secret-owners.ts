import { Injectable } from '@nestjs/common';
import type { WrappedSecret } from './key-provider';

export type Rewrap = (wrapped: WrappedSecret, context: string) => Promise<WrappedSecret>;

/**
 * A lib that stores secrets wrapped by the KEK, in its own table. A rotation run asks each owner
 * to re-wrap its rows in primary-key order, in batches, so a run can resume where it stopped.
 */
export interface WrappedSecretOwner {
  readonly name: string;
  count(): Promise<number>;
  /** Re-wraps up to `limit` rows after `after`; returns the last key done (null when none were left). */
  rewrapBatch(
    after: string | null,
    limit: number,
    options: { reencrypt: boolean },
  ): Promise<{ last: string | null; count: number }>;
}

/** Owners register themselves at module init; the order of registration is the order of a run. */
@Injectable()
export class WrappedSecretOwners {
  private readonly owners: WrappedSecretOwner[] = [];

  register(owner: WrappedSecretOwner): void {
    if (this.owners.some((o) => o.name === owner.name))
      throw new Error(`wrapped-secret owner ${owner.name} registered twice`);
    this.owners.push(owner);
  }

  all(): readonly WrappedSecretOwner[] {
    return [...this.owners].sort((a, b) => a.name.localeCompare(b.name));
  }
}
