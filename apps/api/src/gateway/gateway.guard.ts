import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { AUTH_RATE_LIMIT_KEY, type AuthenticatedRequest } from '@app/common';
import { AccessGuard } from '@app/identity';
import type { AdmissionStep, CounterOutcome, CounterStep } from './admission-script';
import { applyRateLimit } from './rate-limit-headers';
import { RateLimitsService } from './rate-limits.service';

/**
 * The single global guard, so the order is certain: per-IP limits, then authentication and
 * authorization, then the per-client limit.
 *
 * A request whose partner token is in the verified-token cache asks Redis once: access is decided
 * locally first (recording nothing), then one script spends the per-IP budget, reads the deny list
 * (the token, its client, its partner: one EXISTS each, stopping at the first that exists) and, if
 * the request would pass, spends the client's budget; the outcomes are then applied in that same
 * order. Any other request (no cached token: no signature checked yet) spends the per-IP budget
 * before authentication, so floods are cut off before any hashing.
 */
@Injectable()
export class GatewayGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessGuard,
    private readonly limits: RateLimitsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const prepared = await this.access.prepareCached(context);
    if (!prepared) return this.admitStepByStep(context);

    const denySteps = prepared.denyList.map((entry) => ({ kind: 'deny_list' as const, key: entry.key }));
    const steps: AdmissionStep[] = [...this.sourceCounters(context), ...denySteps];
    const client = prepared.admissible ? this.limits.counter('client', prepared.principal.id) : undefined;
    if (client) steps.push(client);

    let settled = false;
    let checked = 0;
    for (const outcome of await this.limits.admit(steps)) {
      if ('record' in outcome) {
        this.apply(context, outcome);
        continue;
      }
      // The deny list's answer is acted on where the uncached path checks it: before the client limit.
      const entry = prepared.denyList[checked++];
      if (outcome.denied || checked === denySteps.length) {
        settled = true;
        await this.access.settle(context, prepared, outcome.denied ? entry.reason : null);
      }
    }
    // Every path through the script either refused (thrown above) or reported the whole deny list.
    if (!settled) await this.access.settle(context, prepared, null);
    return true;
  }

  private async admitStepByStep(context: ExecutionContext): Promise<boolean> {
    await this.spend(context, this.sourceCounters(context));
    await this.access.canActivate(context);
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    const client = this.limits.counter('client', principal?.id);
    if (client) await this.spend(context, [client]);
    return true;
  }

  /** Per IP on every route; on credential endpoints, also the stricter per-IP 'auth' budget. */
  private sourceCounters(context: ExecutionContext): CounterStep[] {
    const { ip } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const steps = [this.limits.sourceCounter('ip', ip)];
    const credentials = this.reflector.getAllAndOverride<boolean>(AUTH_RATE_LIMIT_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (credentials) steps.push(this.limits.sourceCounter('auth', ip));
    return steps.filter((step) => step !== undefined);
  }

  private async spend(context: ExecutionContext, counters: CounterStep[]): Promise<void> {
    for (const outcome of await this.limits.admit(counters)) {
      if ('record' in outcome) this.apply(context, outcome);
    }
  }

  private apply(context: ExecutionContext, outcome: CounterOutcome): void {
    applyRateLimit(context.switchToHttp().getResponse<FastifyReply>(), outcome.step.limit, outcome.record);
  }
}
