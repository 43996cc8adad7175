import { Inject, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { AppConfig, REDIS } from '@app/common';
import {
  ADMISSION_SCRIPT,
  admissionArguments,
  readAdmissionReply,
  type AdmissionStep,
  type CounterStep,
  type StepOutcome,
} from './admission-script';

export type RateLimitName = 'ip' | 'auth' | 'client';

const MINUTE_MS = 60_000;
// A name no other part of the process gives a command on the shared connection.
const ADMIT = 'gatewayAdmit';

type AdmittingRedis = Redis &
  Record<typeof ADMIT, (keyCount: number, ...rest: Array<string | number>) => Promise<unknown>>;

/**
 * Rate-limit budgets shared by every API process through Redis: per source IP, per IP on credential
 * endpoints, and per authenticated client, each a one-minute window that blocks for a minute once
 * exceeded. Counters run through one Lua script (EVALSHA), together with the deny-list check when the
 * caller has one, so a request asks Redis once.
 */
@Injectable()
export class RateLimitsService {
  private readonly redis: AdmittingRedis;

  constructor(
    @Inject(REDIS) redis: Redis,
    private readonly config: AppConfig,
  ) {
    redis.defineCommand(ADMIT, { lua: ADMISSION_SCRIPT });
    this.redis = redis as AdmittingRedis;
  }

  /** The counter of one budget for one tracker (IP or principal id); undefined without a tracker. */
  counter(name: RateLimitName, tracker: string | undefined): CounterStep | undefined {
    if (!tracker) return undefined;
    const limit = this.limitOf(name);
    // The throttler storage's key layout, kept so counters survive a rolling upgrade.
    const key = `${this.config.redis.keyPrefix}:rl:${name}:${tracker}`;
    return {
      kind: 'counter',
      hitKey: `{${key}:${name}}:hits`,
      blockKey: `{${key}:${name}}:blocked`,
      limit,
      ttlMs: MINUTE_MS,
      blockMs: MINUTE_MS,
    };
  }

  /** IPv6 callers are grouped by their /64 (as the throttler does), so rotating addresses buys nothing. */
  sourceCounter(name: 'ip' | 'auth', ip: string | undefined): CounterStep | undefined {
    return this.counter(name, ip === undefined ? undefined : normalizeIp(ip));
  }

  /** Runs the steps in order in one round trip, stopping at the first refusal. */
  async admit(steps: readonly AdmissionStep[]): Promise<StepOutcome[]> {
    if (steps.length === 0) return [];
    const { keys, args } = admissionArguments(steps);
    return readAdmissionReply(steps, await this.redis[ADMIT](keys.length, ...keys, ...args));
  }

  private limitOf(name: RateLimitName): number {
    const limits = this.config.rateLimits;
    switch (name) {
      case 'ip':
        return limits.ipPerMinute;
      case 'auth':
        return limits.authPerMinute;
      case 'client':
        return limits.clientPerMinute;
    }
  }
}
