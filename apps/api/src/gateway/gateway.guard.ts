import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AccessGuard } from '@app/identity';
import { ClientRateLimitGuard, SourceRateLimitGuard } from './rate-limit.guard';

/**
 * The single global guard, so the order is certain: per-IP limits, then authentication and
 * authorization, then the per-client limit.
 */
@Injectable()
export class GatewayGuard implements CanActivate {
  constructor(
    private readonly sourceLimit: SourceRateLimitGuard,
    private readonly access: AccessGuard,
    private readonly clientLimit: ClientRateLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    return (
      (await this.sourceLimit.canActivate(context)) &&
      (await this.access.canActivate(context)) &&
      (await this.clientLimit.canActivate(context))
    );
  }
}
