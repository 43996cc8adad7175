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
import { RevocationService, type DenyListEntry } from '../tokens/revocation.service';
import { authorizeScopes } from './authorize-scopes';
import { JwtStrategy } from './jwt.strategy';

/** passport-jwt behind Nest's AuthGuard, keeping the precise failure reason for the audit trail. */
class BearerTokenGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
    if (error || !user) throw asAuthenticationFailure(error ?? info);
    return user;
  }
}

/** Any error met while authenticating a bearer token is a 401 with its reason, as passport had it. */
function asAuthenticationFailure(error: unknown): AuthenticationFailed {
  return error instanceof AuthenticationFailed ? error : new AuthenticationFailed(reasonOf(error));
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
 * Access decided for a request with a cached partner token, all but the deny-list check, with nothing
 * recorded yet. `admissible` when the request passes if none of the deny-list entries (the token, its
 * client, its partner) exists: only then may the client's rate-limit budget be spent on it.
 */
export type PreparedAccess = { denyList: DenyListEntry[] } & (
  | { admissible: true; principal: PartnerPrincipal; refusal?: undefined; failure?: undefined }
  | { admissible: false; principal: PartnerPrincipal; refusal: string; failure?: undefined }
  | { admissible: false; principal?: undefined; refusal?: undefined; failure: AuthenticationFailed }
);

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
    private readonly jwt: JwtStrategy,
    private readonly revocations: RevocationService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    let principal: Principal;
    try {
      principal = await this.authenticate(context, request);
    } catch (error) {
      if (error instanceof AuthenticationFailed) await this.recordFailure(request, error.reason);
      throw error;
    }
    await this.admit(request, principal, authorizeScopes(principal, this.requiredScopes(context)));
    return true;
  }

  /**
   * First half of canActivate for a request carrying only a bearer token whose verified claims are
   * cached (ours, for partners): decides everything but revocation and records nothing, so the caller
   * can check the per-IP limit, the deny list and the client's budget in one Redis round trip.
   * Undefined when the request does not qualify; canActivate then does the whole job.
   */
  async prepareCached(context: ExecutionContext): Promise<PreparedAccess | undefined> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()])) {
      return undefined;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.headers['x-api-key'] !== undefined || !request.headers.authorization) return undefined;
    const resolved = await this.jwt.resolveCachedPartner(request);
    if (!resolved) return undefined;
    const { denyList, principal } = resolved;
    if (!principal) return { denyList, admissible: false, failure: asAuthenticationFailure(resolved.error) };
    const refusal = authorizeScopes(principal, this.requiredScopes(context));
    return refusal
      ? { denyList, admissible: false, principal, refusal }
      : { denyList, admissible: true, principal };
  }

  /**
   * Second half: told which deny-list entry exists (its reason) or null, refuses or admits as
   * canActivate would.
   */
  async settle(
    context: ExecutionContext,
    prepared: PreparedAccess,
    denied: DenyListEntry['reason'] | null,
  ): Promise<void> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // A denied token is refused as such whatever else is wrong, as the uncached path checks it first.
    const failure = denied ? new AuthenticationFailed(denied) : prepared.failure;
    if (failure) {
      await this.recordFailure(request, failure.reason);
      throw failure;
    }
    await this.admit(request, prepared.principal!, prepared.refusal);
  }

  private requiredScopes(context: ExecutionContext): Scope[] {
    return (
      this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? []
    );
  }

  /** An authenticated principal: noted, then refused (audited) or let through by the route's scopes. */
  private async admit(
    request: AuthenticatedRequest,
    principal: Principal,
    refusal: string | null | undefined,
  ) {
    request.principal = principal;
    if (principal.kind !== 'admin') await this.alerts.noteSourceNetwork(principal.id, request.ip);
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
  }

  private async authenticate(context: ExecutionContext, request: AuthenticatedRequest): Promise<Principal> {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string') {
      if (request.headers.authorization) throw new AuthenticationFailed('two_credentials');
      const key = await this.apiKeys.authenticate(apiKey, request.ip);
      // The key was read from the database just now; the partner is cached, so its deny marker is asked.
      const [partner, denied] = await Promise.all([
        this.partners.get(key.partnerId),
        this.revocations.deniedBy(this.revocations.entriesFor({ partnerId: key.partnerId })),
      ]);
      if (denied || partner.status !== 'active') throw new AuthenticationFailed('partner_suspended');
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
