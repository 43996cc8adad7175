import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from './bearer-token';
import { SimUnauthorized } from './sim-errors';
import { SimSettings } from './sim-settings';

/** The control API (/sim/*) needs SIM_CONTROL_TOKEN as bearer token when one is configured. */
@Injectable()
export class ControlAccessGuard implements CanActivate {
  constructor(private readonly settings: SimSettings) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.settings.controlAllowed(bearerToken(request.headers.authorization))) return true;
    throw new SimUnauthorized('control API');
  }
}
