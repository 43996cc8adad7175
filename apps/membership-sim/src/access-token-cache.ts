import type { Clock } from '@app/common';

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** Refresh this long before expiry (or at half the lifetime of a shorter token). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * Our API's access token for the sim's webhooks: fetched once, reused until shortly before it
 * expires, then fetched again. Concurrent callers share one fetch.
 */
export class AccessTokenCache {
  private token: { value: string; refreshAtMs: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly fetchToken: () => Promise<IssuedToken>,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<string> {
    if (this.token && this.clock.nowMs() < this.token.refreshAtMs) return this.token.value;
    this.pending ??= this.refresh().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forgets the token (our API refused it), so the next call fetches a new one. */
  invalidate(): void {
    this.token = null;
  }

  private async refresh(): Promise<string> {
    const issuedAtMs = this.clock.nowMs();
    const issued = await this.fetchToken();
    const lifetimeMs = Math.max(0, issued.expiresInSeconds) * 1000;
    this.token = {
      value: issued.accessToken,
      refreshAtMs: issuedAtMs + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2),
    };
    return issued.accessToken;
  }
}
