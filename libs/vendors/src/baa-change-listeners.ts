import { Injectable, Logger } from '@nestjs/common';

/** What listeners learn after a BAA version commits: opaque ids and a flag only, never terms. */
export interface BaaChange {
  vendorId: string;
  /** Whether the vendor's BAA is in effect today after the change (e.g. a renewal). */
  inEffect: boolean;
}

export type BaaChangeListener = (change: BaaChange) => Promise<void>;

/**
 * Lets other libs react to BAA changes (e.g. resume parked deliveries after a renewal) without
 * vendors importing them. Called after commit; a failing listener is logged, never rethrown,
 * because the BAA change has already happened and listeners also run periodic sweeps.
 */
@Injectable()
export class BaaChangeListeners {
  private readonly logger = new Logger(BaaChangeListeners.name);
  private readonly listeners: BaaChangeListener[] = [];

  register(listener: BaaChangeListener): void {
    this.listeners.push(listener);
  }

  async notify(change: BaaChange): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change);
      } catch (err) {
        this.logger.error(
          { vendorId: change.vendorId, error: err instanceof Error ? err.name : 'unknown' },
          'BAA change listener failed',
        );
      }
    }
  }
}
