import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig, Clock, REDIS } from '@app/common';

/**
 * How long a suspended partner's or revoked client's deny marker lives. The database status is the
 * truth; the marker only has to outlive the in-process caches (30 s) that may still hold the old
 * status, with a wide margin for a slow commit.
 */
export const DENY_MARKER_TTL_SECONDS = 3600;

/** One deny-list key to check for a request, and the audited reason when it exists. */
export interface DenyListEntry {
  key: string;
  reason: 'token_revoked' | 'client_revoked' | 'partner_suspended';
}

/**
 * The deny list, in Redis so every API process honours a revocation at once: revoked access tokens
 * (by `jti`, until they would have expired anyway), and markers for suspended partners and revoked
 * clients that bridge the short in-process caches of partners and clients.
 */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async revoke(jti: string, expiresAtSeconds: number): Promise<void> {
    const ttl = Math.max(1, expiresAtSeconds - this.clock.nowSeconds() + 60);
    await this.redis.set(this.keyFor(jti), '1', 'EX', ttl);
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.exists(this.keyFor(jti))) === 1;
  }

  async denyPartner(partnerId: string): Promise<void> {
    await this.redis.set(this.partnerKey(partnerId), '1', 'EX', DENY_MARKER_TTL_SECONDS);
  }

  async allowPartner(partnerId: string): Promise<void> {
    await this.redis.del(this.partnerKey(partnerId));
  }

  async denyClient(clientId: string): Promise<void> {
    await this.redis.set(this.clientKey(clientId), '1', 'EX', DENY_MARKER_TTL_SECONDS);
  }

  async allowClient(clientId: string): Promise<void> {
    await this.redis.del(this.clientKey(clientId));
  }

  /**
   * The deny-list entries of a partner request, in the order they are reported: a revoked token is
   * refused as such whatever else holds, then the client, then the partner.
   */
  entriesFor(ids: { jti?: string; clientId?: string; partnerId?: string }): DenyListEntry[] {
    const entries: DenyListEntry[] = [];
    if (ids.jti) entries.push({ key: this.keyFor(ids.jti), reason: 'token_revoked' });
    if (ids.clientId) entries.push({ key: this.clientKey(ids.clientId), reason: 'client_revoked' });
    if (ids.partnerId) entries.push({ key: this.partnerKey(ids.partnerId), reason: 'partner_suspended' });
    return entries;
  }

  /** The first entry that exists, in one round trip; null when none does. */
  async deniedBy(entries: readonly DenyListEntry[]): Promise<DenyListEntry['reason'] | null> {
    if (entries.length === 0) return null;
    const values = await this.redis.mget(...entries.map((e) => e.key));
    const hit = entries.find((_, i) => values[i] !== null);
    return hit?.reason ?? null;
  }

  /** Records a one-time value (a client assertion's jti); false when it was seen before. */
  async firstUse(namespace: string, value: string, ttlSeconds: number): Promise<boolean> {
    const key = `${this.config.redis.keyPrefix}:once:${namespace}:${value}`;
    return (await this.redis.set(key, '1', 'EX', Math.max(1, ttlSeconds), 'NX')) === 'OK';
  }

  /** The deny-list entry of a token; the API gateway checks it in the same script as its rate limits. */
  keyFor(jti: string): string {
    return `${this.config.redis.keyPrefix}:revoked-jti:${jti}`;
  }

  private partnerKey(partnerId: string): string {
    return `${this.config.redis.keyPrefix}:denied:partner:${partnerId}`;
  }

  private clientKey(clientId: string): string {
    return `${this.config.redis.keyPrefix}:denied:client:${clientId}`;
  }
}
