import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Clock } from '@app/common';
import { AccessTokenCache } from './access-token-cache';
import { DeliveryFaults } from './delivery-faults';
import type { SimConfig, SimTarget } from './sim-config';
import { requestToken } from './target-client';

/** The configured target with what talking to it needs: a keep-alive TLS agent and its token cache. */
export interface ActiveTarget {
  target: SimTarget;
  agent: Agent;
  tokens: AccessTokenCache;
}

/**
 * The sim's runtime settings: set from the environment at boot, changed by the control API
 * (target, feed token, delivery secrets, delivery faults).
 */
export class SimSettings {
  private active: ActiveTarget | null = null;
  private feedTokenDigest: Buffer | null = null;
  private readonly controlTokenDigest: Buffer | null;
  private deliverySecrets: string[];
  readonly faults = new DeliveryFaults();

  constructor(
    config: SimConfig,
    /** The sim's own certificate: trusted for the target when no CA is given (the shared dev cert). */
    private readonly ownCertificatePem: string,
    private readonly clock: Clock,
  ) {
    if (config.feedToken) this.setFeedToken(config.feedToken);
    this.controlTokenDigest = config.controlToken ? digest(config.controlToken) : null;
    this.deliverySecrets = [...config.deliverySecrets];
    if (config.target) this.setTarget(config.target);
  }

  setTarget(target: SimTarget): void {
    this.active?.agent.destroy();
    const agent = new Agent({
      keepAlive: true,
      maxSockets: 64,
      minVersion: 'TLSv1.2',
      ca: [...rootCertificates, target.caPem ?? this.ownCertificatePem],
    });
    const tokens = new AccessTokenCache(() => requestToken(target, agent), this.clock);
    this.active = { target, agent, tokens };
  }

  target(): ActiveTarget | null {
    return this.active;
  }

  /** Sets the change feed's bearer token (a random one when none is given) and returns it. */
  setFeedToken(token: string = randomBytes(24).toString('base64url')): string {
    this.feedTokenDigest = digest(token);
    return token;
  }

  /** Whether `token` is the feed's token, compared in constant time. */
  feedTokenMatches(token: string): boolean {
    return this.feedTokenDigest !== null && timingSafeEqual(digest(token), this.feedTokenDigest);
  }

  /** Whether a control call may proceed: always when no control token is configured (loopback use). */
  controlAllowed(token: string | undefined): boolean {
    if (this.controlTokenDigest === null) return true;
    return token !== undefined && timingSafeEqual(digest(token), this.controlTokenDigest);
  }

  setDeliverySecrets(secrets: string[]): void {
    this.deliverySecrets = [...secrets];
  }

  secretsForDeliveries(): readonly string[] {
    return this.deliverySecrets;
  }

  close(): void {
    this.active?.agent.destroy();
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
