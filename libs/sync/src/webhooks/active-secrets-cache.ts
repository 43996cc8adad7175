import { Injectable, Optional } from '@nestjs/common';
import { Clock } from '@app/common';

/** How long a process verifies with a partner's secrets before reading them again. */
export const ACTIVE_SECRETS_TTL_MS = 30_000;
/** Partners whose unwrapped secrets a process keeps at once (least recently used leave first). */
export const ACTIVE_SECRETS_MAX_PARTNERS = 1_000;

export interface ActiveSecrets {
  /** `whsec_…` texts, unwrapped: held in memory only. */
  secrets: readonly string[];
  loadedAtMs: number;
}

/**
 * A partner's active inbound secrets, unwrapped, for a short time: verifying a signed request then
 * costs no database read or KEK call. Bounded in partners and time; concurrent misses share one
 * load. A create or revoke in this process drops the partner's entry at once; other processes
 * notice within ACTIVE_SECRETS_TTL_MS (a revoked secret stops verifying there by then).
 */
@Injectable()
export class ActiveSecretsCache {
  private readonly entries = new Map<string, ActiveSecrets>();
  private readonly loading = new Map<string, Promise<ActiveSecrets>>();
  /** Bumped by every invalidation: a load that began before one is answered but not kept. */
  private epoch = 0;

  constructor(
    private readonly clock: Clock,
    @Optional()
    private readonly limits = { ttlMs: ACTIVE_SECRETS_TTL_MS, maxPartners: ACTIVE_SECRETS_MAX_PARTNERS },
  ) {}

  get(partnerId: string, load: () => Promise<readonly string[]>): Promise<ActiveSecrets> {
    const hit = this.entries.get(partnerId);
    if (hit && this.clock.nowMs() - hit.loadedAtMs < this.limits.ttlMs) {
      // Re-inserted so the map's order is least recently used first.
      this.entries.delete(partnerId);
      this.entries.set(partnerId, hit);
      return Promise.resolve(hit);
    }
    return this.reload(partnerId, load);
  }

  /** Reads again now (one load at a time per partner), e.g. after a signature matched no cached secret. */
  reload(partnerId: string, load: () => Promise<readonly string[]>): Promise<ActiveSecrets> {
    const inFlight = this.loading.get(partnerId);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const loaded = load()
      .then((secrets) => {
        const entry = { secrets, loadedAtMs: this.clock.nowMs() };
        if (epoch === this.epoch) this.store(partnerId, entry);
        return entry;
      })
      .finally(() => {
        if (this.loading.get(partnerId) === loaded) this.loading.delete(partnerId);
      });
    this.loading.set(partnerId, loaded);
    return loaded;
  }

  invalidate(partnerId: string): void {
    this.epoch += 1;
    this.entries.delete(partnerId);
    this.loading.delete(partnerId);
  }

  get size(): number {
    return this.entries.size;
  }

  private store(partnerId: string, entry: ActiveSecrets): void {
    this.entries.delete(partnerId);
    this.entries.set(partnerId, entry);
    while (this.entries.size > this.limits.maxPartners) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
