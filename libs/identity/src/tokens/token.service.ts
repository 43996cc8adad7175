import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import { AlertsService, AuditService, auditActor } from '@app/audit';
import { AppConfig, Clock, requestMeta, type PartnerScope } from '@app/common';
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
      const scopes = grantedScopes(form.scope, authenticated.client.scopes);
      const token = await this.issuer.issuePartnerToken({
        clientId: authenticated.client.id,
        scopes,
        certificateThumbprint: authenticated.certificateThumbprint,
      });
      await this.audit.recordStandalone({
        ...this.meta(request, authenticated),
        action: 'token.issue',
        resourceType: 'access_token',
        resourceIds: [token.jti],
        outcome: 'success',
        statusCode: 200,
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
