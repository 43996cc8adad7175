import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { AppConfig, Clock } from '@app/common';
import { CLIENT_KEY_ALGS } from '../clients/jwks-validation';
import { ClientsService } from '../clients/clients.service';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { PartnersService } from '../partners/partners.service';
import type { Partner } from '../partners/partner.entity';
import { OAuthError } from './oauth.errors';
import { peerCertificateThumbprint } from './peer-certificate';
import { RevocationService } from './revocation.service';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 300;

export interface ClientCredentials {
  client_id?: string;
  client_assertion_type?: string;
  client_assertion?: string;
}

export interface AuthenticatedClient {
  client: OAuthClient;
  partner: Partner;
  /** The bound certificate's thumbprint, when the client is certificate-bound. */
  certificateThumbprint: string | null;
}

/** Authenticates an OAuth client at the token and revocation endpoints (RFC 6749 §2.3, RFC 7523). */
@Injectable()
export class ClientAuthenticationService {
  constructor(
    private readonly clients: ClientsService,
    private readonly partners: PartnersService,
    private readonly revocations: RevocationService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async authenticate(request: FastifyRequest, form: ClientCredentials): Promise<AuthenticatedClient> {
    const basic = parseBasic(request.headers.authorization);
    if (basic && form.client_assertion) {
      throw new OAuthError('invalid_request', 'Use one client authentication method.');
    }
    let client: OAuthClient;
    if (basic) {
      client = await this.bySecret(basic.clientId, basic.secret, form.client_id);
    } else if (form.client_assertion) {
      client = await this.byAssertion(form);
    } else {
      throw new OAuthError('invalid_client', 'Client authentication is required.', 'no_client_credentials');
    }
    // Client and partner are cached for 30 s; their deny markers make a revocation or suspension bite at once.
    const [partner, denied] = await Promise.all([
      this.partners.get(client.partnerId),
      this.revocations.deniedBy(
        this.revocations.entriesFor({ clientId: client.id, partnerId: client.partnerId }),
      ),
    ]);
    if (denied === 'client_revoked')
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'client_revoked', client.id);
    if (denied || partner.status !== 'active')
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'partner_suspended', client.id);
    let certificateThumbprint: string | null = null;
    if (client.certificateThumbprint) {
      certificateThumbprint = peerCertificateThumbprint(request);
      if (certificateThumbprint !== client.certificateThumbprint) {
        throw new OAuthError(
          'invalid_client',
          'Client authentication failed.',
          'certificate_mismatch',
          client.id,
        );
      }
    }
    return { client, partner, certificateThumbprint };
  }

  private async bySecret(clientId: string, secret: string, formClientId?: string): Promise<OAuthClient> {
    if (formClientId && formClientId !== clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the credentials.');
    }
    const client = await this.clients.findActive(clientId);
    if (
      !client ||
      client.authMethod !== 'client_secret_basic' ||
      !(await this.clients.verifySecret(client, secret))
    ) {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'bad_client_secret');
    }
    return client;
  }

  private async byAssertion(form: ClientCredentials): Promise<OAuthClient> {
    if (form.client_assertion_type !== JWT_BEARER) {
      throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER}.`);
    }
    let clientId: unknown;
    try {
      clientId = decodeJwt(form.client_assertion!).sub;
    } catch {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'malformed_assertion');
    }
    const client = typeof clientId === 'string' ? await this.clients.findActive(clientId) : null;
    if (!client || client.authMethod !== 'private_key_jwt' || !client.jwks) {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'unknown_client');
    }
    if (form.client_id && form.client_id !== client.id) {
      throw new OAuthError('invalid_request', 'client_id does not match the assertion.');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(form.client_assertion!, createLocalJWKSet(client.jwks), {
        issuer: client.id,
        subject: client.id,
        audience: [this.config.auth.tokenEndpoint, this.config.auth.issuer],
        algorithms: [...CLIENT_KEY_ALGS],
        currentDate: this.clock.now(),
        clockTolerance: 60,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 'bad_assertion');
    }
    const remaining = payload.exp! - this.clock.nowSeconds();
    if (remaining > MAX_ASSERTION_LIFETIME_S + 60) {
      throw new OAuthError(
        'invalid_client',
        'Client assertions may live at most 5 minutes.',
        'assertion_too_long',
        client.id,
      );
    }
    if (!(await this.revocations.firstUse(`assertion:${client.id}`, String(payload.jti), remaining + 60))) {
      throw new OAuthError(
        'invalid_client',
        'Client authentication failed.',
        'assertion_replayed',
        client.id,
      );
    }
    return client;
  }
}

function parseBasic(header: string | undefined): { clientId: string; secret: string } | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}
