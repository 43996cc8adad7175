import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Actor, Principal, RequestMeta } from './principal';
import { isAdminScope, type Scope } from './scopes';

export const SCOPES_KEY = 'access:scopes';
export const PUBLIC_KEY = 'access:public';

/**
 * The route needs an authenticated caller holding at least one of these scopes. Admin scopes also
 * need an admin user with MFA. Every route declares either this or @Public (a test enforces it).
 */
export function Scopes(...scopes: [Scope, ...Scope[]]) {
  const admin = scopes.some(isAdminScope);
  // OpenAPI 3.0 lets only OAuth2 schemes list scopes; x-required-scopes states them for every scheme.
  const security = admin
    ? [ApiSecurity('adminToken')]
    : [
        ApiSecurity('partnerToken', scopes),
        ...(scopes.includes('sync:write') ? [ApiSecurity('apiKey')] : []),
      ];
  return applyDecorators(
    SetMetadata(SCOPES_KEY, scopes),
    ApiExtension('x-required-scopes', scopes),
    ...security,
  );
}

/** The route is reachable without credentials (health, token endpoint, JWKS, admin login). */
export function Public() {
  return applyDecorators(SetMetadata(PUBLIC_KEY, true), ApiExtension('x-public', true));
}

export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
  auditState?: { audited: boolean };
  /** The `webhook-id` of a request whose Standard Webhooks signature verified (signed routes only). */
  verifiedWebhookId?: string;
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  return {
    // With a trusted proxy the address comes from X-Forwarded-For: bounded to what an IPv6 text can be.
    ip: request.ip.slice(0, 45),
    userAgent: request.headers['user-agent']?.slice(0, 256),
    method: request.method,
    route: request.routeOptions?.url ?? 'unmatched',
    requestId: request.id,
    auditState: (request as AuthenticatedRequest).auditState,
  };
}

/** The caller and request facts a service needs to authorize and audit. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  return { principal: request.principal, request: requestMeta(request) };
});
