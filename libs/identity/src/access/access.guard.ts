import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import {
  PUBLIC_KEY,
  requestMeta,
  SCOPES_KEY,
  type AuthenticatedRequest,
  type PartnerPrincipal,
  type Principal,
  type Scope,
  AccessDenied,
} from '@app/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuthenticationFailed } from '../identity.errors';
import { PartnersService } from '../partners/partners.service';
import { authorizeScopes } from './authorize-scopes';

/** passport-jwt behind Nest's AuthGuard, keeping the precise failure reason for the audit trail. */
class BearerTokenGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
    if (error instanceof AuthenticationFailed) throw error;
    if (error || !user) throw new AuthenticationFailed(reasonOf(error ?? info));
    return user;
  }
}

function reasonOf(info: unknown): string {
  if (info instanceof AuthenticationFailed) return info.reason;
  const name = (info as { name?: string } | undefined)?.name;
  const message = (info as { message?: string } | undefined)?.message ?? '';
  if (name === 'TokenExpiredError') return 'token_expired';
  if (name === 'NotBeforeError') return 'token_not_yet_valid';
  if (/audience/i.test(message)) return 'audience_mismatch';
  if (/issuer/i.test(message)) return 'issuer_mismatch';
  if (/algorithm/i.test(message)) return 'algorithm_not_allowed';
  if (/signature/i.test(message)) return 'bad_signature';
  if (/No auth token/i.test(message)) return 'no_credentials';
  return 'invalid_token';
}

/**
 * The one gate in front of every route: authenticate (bearer token or API key), then authorize
 * by the route's declared scopes. Every failure and refusal is audited; a route that declares
 * neither @Scopes nor @Public is refused.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly bearer = new BearerTokenGuard();

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    private readonly partners: PartnersService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    let principal: Principal;
    try {
      principal = await this.authenticate(context, request);
    } catch (error) {
      if (error instanceof AuthenticationFailed) await this.recordFailure(request, error.reason);
      throw error;
    }
    request.principal = principal;
    if (principal.kind !== 'admin') await this.alerts.noteSourceNetwork(principal.id, request.ip);

    const refusal = authorizeScopes(principal, required ?? []);
    if (refusal) {
      await this.audit.recordStandalone({
        ...auditActor({ principal, request: requestMeta(request) }),
        action: 'access.authorize',
        outcome: 'denied',
        statusCode: 403,
        reason: refusal,
      });
      throw new AccessDenied(
        refusal,
        refusal === 'mfa_required' ? 'This action needs a session established with MFA.' : undefined,
      );
    }
    return true;
  }

  private async authenticate(context: ExecutionContext, request: AuthenticatedRequest): Promise<Principal> {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string') {
      if (request.headers.authorization) throw new AuthenticationFailed('two_credentials');
      const key = await this.apiKeys.authenticate(apiKey, request.ip);
      const partner = await this.partners.get(key.partnerId);
      if (partner.status !== 'active') throw new AuthenticationFailed('partner_suspended');
      const principal: PartnerPrincipal = {
        kind: 'api_key',
        id: key.id,
        partnerId: partner.id,
        partnerType: partner.type,
        vendorId: partner.vendorId,
        organizationIds: partner.organizationIds,
        categories: partner.categories,
        purpose: partner.purpose,
        requiresConsent: partner.requiresConsent,
        scopes: new Set(key.scopes),
      };
      return principal;
    }
    if (!request.headers.authorization) throw new AuthenticationFailed('no_credentials');
    await this.bearer.canActivate(context);
    return (request as AuthenticatedRequest & { user: Principal }).user;
  }

  private async recordFailure(request: AuthenticatedRequest, reason: string): Promise<void> {
    await this.audit.recordStandalone({
      ...auditActor({ request: requestMeta(request) }),
      action: 'access.authenticate',
      outcome: 'failure',
      statusCode: 401,
      reason,
    });
    if (reason !== 'no_credentials') await this.alerts.countAuthFailure([`ip:${request.ip}`]);
  }
}
