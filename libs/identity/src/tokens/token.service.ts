import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import { AppConfig, Clock, requestMeta, type PartnerScope, type PartnerType } from '@app/common';
import { ObjectAccessService } from '../access/object-access.service';
import { authFailureSubjects } from './auth-failure-subjects';
import { ClientAuthenticationService, type AuthenticatedClient } from './client-authentication.service';
import { OAuthError } from './oauth.errors';
import { RevocationService } from './revocation.service';
import { SigningKeysService } from './signing-keys.service';
import { TokenIssuerService } from './token-issuer.service';
import type { RevocationRequestDto, TokenRequestDto } from './token-request.dto';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** Issues and revokes partner access tokens; every issuance and failure is audited. */
@Injectable()
export class TokenService {
  constructor(
    private readonly clientAuth: ClientAuthenticationService,
    private readonly issuer: TokenIssuerService,
    private readonly revocations: RevocationService,
    private readonly signingKeys: SigningKeysService,
    private readonly access: ObjectAccessService,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async issue(request: FastifyRequest, form: TokenRequestDto): Promise<TokenResponse> {
    let authenticated: AuthenticatedClient | undefined;
    try {
      if (form.grant_type !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'Only client_credentials is supported.');
      }
      if (form.resource && form.resource !== this.config.auth.partnerAudience) {
        throw new OAuthError('invalid_request', 'Unknown resource.', 'invalid_target');
      }
      authenticated = await this.clientAuth.authenticate(request, form);
      const memberId = form.member_id;
      const scopes = memberId
        ? memberTokenScopes(authenticated.partner.type, form.scope, authenticated.client.scopes)
        : grantedScopes(form.scope, authenticated.client.scopes);
      if (memberId) await this.requireVisibleMember(authenticated, memberId);
      const token = await this.issuer.issuePartnerToken({
        clientId: authenticated.client.id,
        scopes,
        certificateThumbprint: authenticated.certificateThumbprint,
        ...(memberId ? { memberId, ttlSeconds: MEMBER_TOKEN_TTL_SECONDS } : {}),
      });
      await this.audit.recordStandalone({
        ...this.meta(request, authenticated),
        action: 'token.issue',
        resourceType: 'access_token',
        resourceIds: memberId ? [token.jti, memberId] : [token.jti],
        outcome: 'success',
        statusCode: 200,
        ...(memberId ? { reason: 'member_scoped' } : {}),
      });
      return {
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope: scopes.join(' '),
      };
    } catch (error) {
      await this.refuse(request, 'token.issue', error, authenticated);
      throw error;
    }
  }

  /** Unknown and unlinked members are refused alike (no enumeration); the audit keeps which it was. */
  private async requireVisibleMember(authenticated: AuthenticatedClient, memberId: string): Promise<void> {
    const denial = await this.access.memberDenial(authenticated.partner.organizationIds, memberId);
    if (denial)
      throw new OAuthError(
        'invalid_request',
        'No member with that id for this client.',
        denial === 'not_found' ? 'member_not_found' : 'member_not_visible',
      );
  }

  /** RFC 7009: a client may revoke its own tokens; an unknown or foreign token still answers 200. */
  async revoke(request: FastifyRequest, form: RevocationRequestDto): Promise<void> {
    let authenticated: AuthenticatedClient;
    try {
      authenticated = await this.clientAuth.authenticate(request, form);
    } catch (error) {
      // Guessing secrets here must cost the same as at the token endpoint.
      await this.refuse(request, 'token.revoke', error);
      throw error;
    }
    const payload = await this.verifyOwnToken(form.token);
    if (!payload || payload.client_id !== authenticated.client.id || typeof payload.jti !== 'string') return;
    await this.revocations.revoke(payload.jti, payload.exp ?? this.clock.nowSeconds() + 900);
    await this.audit.recordStandalone({
      ...this.meta(request, authenticated),
      action: 'token.revoke',
      resourceType: 'access_token',
      resourceIds: [payload.jti],
      outcome: 'success',
      statusCode: 200,
    });
  }

  /** Audits a refused OAuth request; a failed client authentication also feeds the failure alerts. */
  private async refuse(
    request: FastifyRequest,
    action: 'token.issue' | 'token.revoke',
    error: unknown,
    authenticated?: AuthenticatedClient,
  ): Promise<void> {
    if (!(error instanceof OAuthError)) return;
    await this.audit.recordStandalone({
      ...this.meta(request, authenticated),
      action,
      outcome: error.code === 'invalid_client' ? 'failure' : 'denied',
      statusCode: error.status,
      reason: error.reason,
    });
    if (error.code === 'invalid_client') {
      await this.alerts.countAuthFailure(authFailureSubjects(request.ip, error.provenClientId));
    }
  }

  private async verifyOwnToken(token: string) {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = header.kid ? await this.signingKeys.publicKeyFor(header.kid) : null;
          if (!key) throw new Error('unknown key');
          return key;
        },
        {
          issuer: this.config.auth.issuer,
          algorithms: ['ES256'],
          currentDate: this.clock.now(),
          clockTolerance: 60,
        },
      );
      return payload;
    } catch {
      return null;
    }
  }

  private meta(request: FastifyRequest, authenticated?: AuthenticatedClient) {
    const base = auditActor({ request: requestMeta(request) });
    if (!authenticated) return base;
    return {
      ...base,
      actorType: 'partner_client' as const,
      actorId: authenticated.client.id,
      clientId: authenticated.client.id,
      partnerId: authenticated.partner.id,
      purpose: authenticated.partner.purpose,
    };
  }
}

/** The requested scopes, or all of the client's when none are asked for; never more than it holds. */
export function grantedScopes(requested: string | undefined, held: readonly PartnerScope[]): PartnerScope[] {
  if (!requested?.trim()) return [...held];
  const asked = [...new Set(requested.trim().split(/\s+/))];
  const refused = asked.filter((s) => !(held as readonly string[]).includes(s));
  if (refused.length > 0)
    throw new OAuthError('invalid_scope', 'The client may not request some of these scopes.');
  return asked as PartnerScope[];
}

/** A member-scoped token reads its member and nothing else, for a short while. */
export const MEMBER_TOKEN_SCOPES: readonly PartnerScope[] = ['members:read'];
export const MEMBER_TOKEN_TTL_SECONDS = 300;

/**
 * The scopes of a member-scoped token (client credentials naming `member_id`): only a wellness app
 * may ask, and only for members:read (the default), which its client must hold.
 */
export function memberTokenScopes(
  partnerType: PartnerType,
  requested: string | undefined,
  held: readonly PartnerScope[],
): PartnerScope[] {
  if (partnerType !== 'wellness_app')
    throw new OAuthError(
      'unauthorized_client',
      'Only a wellness app may obtain a member-scoped token.',
      'member_token_not_allowed',
    );
  const scopes = grantedScopes(requested?.trim() ? requested : MEMBER_TOKEN_SCOPES.join(' '), held);
  if (scopes.some((s) => !MEMBER_TOKEN_SCOPES.includes(s)))
    throw new OAuthError('invalid_scope', 'A member-scoped token carries members:read only.');
  return scopes;
}
