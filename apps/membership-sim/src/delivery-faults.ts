/**
 * How the sim answers the deliveries it receives, so delivery tests can make the endpoint fail:
 * answer `status` (4xx/5xx; 410 says "gone") for the next `times` valid deliveries (every one while
 * `times` is null), with a `Retry-After` when `retryAfterSeconds` is set, then accept again.
 */
export interface DeliveryFaultSetting {
  status: number;
  times: number | null;
  retryAfterSeconds?: number;
}

export interface DeliveryFault {
  status: number;
  retryAfterSeconds?: number;
}

export interface DeliveryFaultState extends DeliveryFault {
  /** Faults left before deliveries are accepted again; null = until reset. */
  remaining: number | null;
}

export class DeliveryFaults {
  private state: DeliveryFaultState | null = null;

  /** Replaces the current setting; null or a 2xx status accepts every delivery again. */
  set(setting: DeliveryFaultSetting | null): void {
    if (!setting || (setting.status >= 200 && setting.status < 300)) {
      this.state = null;
      return;
    }
    if (!Number.isInteger(setting.status) || setting.status < 400 || setting.status > 599)
      throw new RangeError('a fault status is 4xx or 5xx (2xx resets)');
    if (setting.times !== null && (!Number.isSafeInteger(setting.times) || setting.times < 0))
      throw new RangeError('times must be a non-negative integer or null');
    this.state = {
      status: setting.status,
      remaining: setting.times,
      ...(setting.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: setting.retryAfterSeconds }),
    };
    if (this.state.remaining === 0) this.state = null;
  }

  /** The fault to answer this delivery with, or null to accept it; consumes one of `times`. */
  next(): DeliveryFault | null {
    const state = this.state;
    if (!state) return null;
    if (state.remaining !== null) {
      state.remaining -= 1;
      if (state.remaining === 0) this.state = null;
    }
    const { remaining: _remaining, ...fault } = state;
    return fault;
  }

  current(): DeliveryFaultState | null {
    return this.state ? { ...this.state } : null;
  }
}
