import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { AppConfig, AUTH_RATE_LIMIT_KEY, type AuthenticatedRequest } from '@app/common';

export type RateLimitName = 'ip' | 'auth' | 'client';

/**
 * @nestjs/throttler on shared Redis storage, one budget per source IP, per IP on credential
 * endpoints, and per authenticated client, whichever API process serves the request. Answers
 * carry IETF `RateLimit-*` headers; a refusal adds `Retry-After`.
 */
abstract class RateLimitGuard extends ThrottlerGuard {
  protected abstract readonly applies: readonly RateLimitName[];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest({
    context,
    limit,
    ttl,
    throttler,
    blockDuration,
  }: ThrottlerRequest): Promise<boolean> {
    const name = throttler.name as RateLimitName;
    if (!this.applies.includes(name)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (
      name === 'auth' &&
      !this.reflector.getAllAndOverride<boolean>(AUTH_RATE_LIMIT_KEY, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    // IPv6 callers are grouped by their /64 (as the throttler does), so rotating addresses buys nothing.
    const tracker = name === 'client' ? request.principal?.id : normalizeIp(request.ip);
    if (!tracker) return true;
    const key = `${this.config.redis.keyPrefix}:rl:${name}:${tracker}`;
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    // The storage reports both durations in seconds.
    const resetSeconds = record.isBlocked ? record.timeToBlockExpire : record.timeToExpire;
    void reply
      .header('RateLimit-Limit', limit)
      .header('RateLimit-Remaining', Math.max(0, limit - record.totalHits))
      .header('RateLimit-Reset', Math.max(0, resetSeconds));
    if (record.isBlocked) {
      void reply.header('Retry-After', Math.max(1, resetSeconds));
      throw new ThrottlerException();
    }
    return true;
  }
}

/** Runs before authentication, so floods and credential guessing are cut off before any hashing. */
@Injectable()
export class SourceRateLimitGuard extends RateLimitGuard {
  protected readonly applies = ['ip', 'auth'] as const;
}

/** Runs after authentication: the per-client budget. */
@Injectable()
export class ClientRateLimitGuard extends RateLimitGuard {
  protected readonly applies = ['client'] as const;
}
