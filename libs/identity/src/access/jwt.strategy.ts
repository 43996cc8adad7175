import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
import { ExtractJwt, Strategy } from 'passport-jwt';
import {
  ADMIN_ROLE_SCOPES,
  AppConfig,
  Clock,
  type AdminPrincipal,
  type AdminScope,
  type PartnerPrincipal,
  type PartnerScope,
  type Principal,
} from '@app/common';
import { AdminSessionsService } from '../admin/admin-sessions.service';
import { AdminUsersService } from '../admin/admin-users.service';
import { ClientsService } from '../clients/clients.service';
import { AuthenticationFailed } from '../identity.errors';
import { PartnersService } from '../partners/partners.service';
import { peerCertificateThumbprint } from '../tokens/peer-certificate';
import { RevocationService, type DenyListEntry } from '../tokens/revocation.service';
import { SigningKeysService } from '../tokens/signing-keys.service';
import { memberTokenRouteScopes } from './object-access';
import { VerifiedTokenCache, verifiedTokenKey } from './verified-token-cache';

interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  jti?: string;
  exp: number;
  nbf?: number;
  scope?: string;
  sid?: string;
  amr?: string[];
  email?: string;
  cnf?: { 'x5t#S256'?: string };
  /** A member-scoped token's one member (item 7). */
  mbr?: string;
}

const MFA_AMR = ['mfa', 'otp', 'hwk', 'swk', 'sc'];
const CLOCK_TOLERANCE_SECONDS = 60;
const VERIFIED_TOKENS_KEPT = 10_000;
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();
type PassportRequest = Parameters<Strategy['authenticate']>[0];

// jsonwebtoken takes PEM text; exporting it for every request cost ~13% of a read's CPU. Key
// objects are reused until the key set reloads, so their PEM is remembered with them.
const pems = new WeakMap<KeyObject, string>();
function pemOf(key: KeyObject): string {
  let pem = pems.get(key);
  if (!pem) {
    pem = key.export({ type: 'spki', format: 'pem' }).toString();
    pems.set(key, pem);
  }
  return pem;
}

/** A cached partner token's principal (or why it is refused), short of the deny-list check. */
export type CachedPartnerResolution = { denyList: DenyListEntry[] } & (
  { principal: PartnerPrincipal; error?: undefined } | { principal?: undefined; error: unknown }
);

/**
 * Verifies bearer tokens with passport-jwt: ours (ES256 only, our kid, our issuer and one of our
 * two audiences) and, when configured, an external OIDC issuer's admin tokens. `alg: none`, HMAC
 * algorithms and unknown keys never verify. Then it resolves the caller as a Principal.
 *
 * Our own tokens' verified claims are cached by token digest until `exp` (ES256 verification was a
 * fifth of a read's CPU); the principal is resolved afresh on every request, hit or miss.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly oidcKeys: JWTVerifyGetKey | null;
  private readonly verifiedTokens = new VerifiedTokenCache<AccessTokenClaims>(
    VERIFIED_TOKENS_KEPT,
    CLOCK_TOLERANCE_SECONDS,
  );
  // A request whose token is being verified the slow way, and the cache key its claims go under.
  private readonly verifying = new WeakMap<object, { key: string; rawToken: string }>();

  constructor(
    private readonly config: AppConfig,
    private readonly signingKeys: SigningKeysService,
    private readonly clients: ClientsService,
    private readonly partners: PartnersService,
    private readonly revocations: RevocationService,
    private readonly adminUsers: AdminUsersService,
    private readonly adminSessions: AdminSessionsService,
    private readonly clock: Clock,
  ) {
    const oidc = config.auth.adminOidc;
    // The key lookup needs `this`, which does not exist until super() returns.
    const late: { keyFor?: (rawToken: string) => Promise<KeyObject> } = {};
    super({
      jwtFromRequest: bearerToken,
      algorithms: ['ES256', 'RS256', 'PS256'],
      issuer: [config.auth.issuer, ...(oidc ? [oidc.issuer] : [])],
      audience: [config.auth.partnerAudience, config.auth.adminAudience, ...(oidc ? [oidc.audience] : [])],
      passReqToCallback: true,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
      secretOrKeyProvider: (
        _request: unknown,
        rawToken: string,
        done: (err: unknown, key?: string) => void,
      ) => {
        late.keyFor!(rawToken).then(
          (key) => done(null, pemOf(key)),
          (error: unknown) => done(error),
        );
      },
    });
    late.keyFor = (rawToken) => this.keyFor(rawToken);
    // passport-jwt copies jsonWebTokenOptions once; jsonwebtoken reads clockTimestamp at each
    // verification, so a getter there makes expiry follow the injected clock.
    Object.defineProperty((this as unknown as { _verifOpts: object })._verifOpts, 'clockTimestamp', {
      get: () => clock.nowSeconds(),
      enumerable: true,
    });
    this.oidcKeys = oidc ? createRemoteJWKSet(new URL(oidc.jwksUrl), { timeoutDuration: 3000 }) : null;
  }

  /**
   * passport's entry point (`this` is passport's per-request copy of the strategy). A cache hit
   * skips only the signature and claim checks, and only while the uncached path would still accept
   * the token: within exp + tolerance by the injected clock, and signed by a key still honoured.
   * Anything else goes the uncached way, which also gives the precise refusal reason.
   */
  override authenticate(incoming: PassportRequest, options?: unknown): void {
    // Nest hands passport the Fastify request; passport-jwt's types say Express.
    const request = incoming as unknown as FastifyRequest;
    const rawToken = bearerToken(incoming);
    if (!rawToken) return super.authenticate(incoming, options);
    const key = verifiedTokenKey(rawToken);
    void this.cachedClaims(key).then((claims) => {
      if (!claims) return this.verifyThenAuthenticate(request, options, key, rawToken);
      // As passport-jwt does with validate()'s outcome: a thrown error is error(), a principal success().
      this.validate(request, claims).then(
        (principal) => this.success(principal),
        (error: unknown) => this.error(error as Error),
      );
    });
  }

  /**
   * The gateway's one-round-trip path: for a bearer token of ours, for partners, whose verified claims
   * are cached, resolves the partner principal with every check but the deny list, and names the
   * deny-list key the caller must check. Undefined for any other request (it goes through passport).
   * A refusal is returned, not thrown, so the caller can first apply the per-IP limit.
   */
  async resolveCachedPartner(request: FastifyRequest): Promise<CachedPartnerResolution | undefined> {
    const rawToken = bearerToken(request);
    if (!rawToken) return undefined;
    const claims = await this.cachedClaims(verifiedTokenKey(rawToken));
    if (!claims?.jti || this.audienceOf(claims) !== 'partner') return undefined;
    // The token, its client and its partner: suspension and revocation bite before the caches expire.
    const denyList = (partnerId?: string) =>
      this.revocations.entriesFor({ jti: claims.jti, clientId: claims.sub, partnerId });
    try {
      const principal = await this.partnerFromClaims(request, claims, claims.jti);
      return { denyList: denyList(principal.partnerId), principal };
    } catch (error) {
      return { denyList: denyList(), error };
    }
  }

  /** Cached verified claims, while the key that signed them is still honoured; else the slow way. */
  private async cachedClaims(key: string): Promise<AccessTokenClaims | undefined> {
    const hit = this.verifiedTokens.get(key, this.clock.nowSeconds());
    if (!hit) return undefined;
    const signingKey = await this.signingKeys.publicKeyFor(hit.kid).catch(() => undefined);
    if (signingKey === null) this.verifiedTokens.delete(key);
    return signingKey ? hit.claims : undefined;
  }

  private verifyThenAuthenticate(
    request: FastifyRequest,
    options: unknown,
    key: string,
    rawToken: string,
  ): void {
    this.verifying.set(request, { key, rawToken });
    super.authenticate(request as unknown as PassportRequest, options);
  }

  /** Called by validate() only after passport-jwt verified signature, algorithm, issuer, audience and time. */
  private rememberVerified(request: FastifyRequest, claims: AccessTokenClaims): void {
    const pending = this.verifying.get(request);
    if (!pending) return;
    this.verifying.delete(request);
    // Only our own keys: an external issuer's JWKS can drop a key we would not hear about.
    if (claims.iss !== this.config.auth.issuer || typeof claims.exp !== 'number') return;
    if (claims.nbf !== undefined && typeof claims.nbf !== 'number') return;
    const { kid } = decodeProtectedHeader(pending.rawToken);
    if (typeof kid !== 'string') return;
    this.verifiedTokens.set(pending.key, {
      claims: Object.freeze({ ...claims }),
      kid,
      exp: claims.exp,
      nbf: claims.nbf,
    });
  }

  private async keyFor(rawToken: string): Promise<KeyObject> {
    let header: ProtectedHeaderParameters;
    let payload: JWTPayload;
    try {
      header = decodeProtectedHeader(rawToken);
      payload = decodeJwt(rawToken);
    } catch {
      throw new AuthenticationFailed('malformed_token');
    }
    if (payload.iss === this.config.auth.issuer) {
      if (header.alg !== 'ES256') throw new AuthenticationFailed('algorithm_not_allowed');
      const key = header.kid ? await this.signingKeys.publicKeyFor(header.kid) : null;
      if (!key) throw new AuthenticationFailed('unknown_signing_key');
      return key;
    }
    if (this.oidcKeys && payload.iss === this.config.auth.adminOidc?.issuer) {
      if (!header.alg || !['ES256', 'RS256', 'PS256'].includes(header.alg)) {
        throw new AuthenticationFailed('algorithm_not_allowed');
      }
      try {
        return (await this.oidcKeys(
          header as JWTHeaderParameters,
          { payload: rawToken } as never,
        )) as KeyObject;
      } catch {
        throw new AuthenticationFailed('unknown_signing_key');
      }
    }
    throw new AuthenticationFailed('unknown_issuer');
  }

  async validate(request: FastifyRequest, claims: AccessTokenClaims): Promise<Principal> {
    this.rememberVerified(request, claims);
    switch (this.audienceOf(claims)) {
      case 'partner':
        return this.partnerPrincipal(request, claims);
      case 'local_admin':
        return this.localAdmin(claims);
      case 'oidc_admin':
        return this.oidcAdmin(claims);
      case undefined:
        throw new AuthenticationFailed('audience_mismatch');
    }
  }

  /** Which kind of caller verified claims are for, in the order validate() has always tried them. */
  private audienceOf(claims: AccessTokenClaims): 'partner' | 'local_admin' | 'oidc_admin' | undefined {
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const ours = claims.iss === this.config.auth.issuer;
    if (ours && audiences.includes(this.config.auth.partnerAudience)) return 'partner';
    if (ours && audiences.includes(this.config.auth.adminAudience)) return 'local_admin';
    const oidc = this.config.auth.adminOidc;
    if (oidc && claims.iss === oidc.issuer && audiences.includes(oidc.audience)) return 'oidc_admin';
    return undefined;
  }

  private async partnerPrincipal(
    request: FastifyRequest,
    claims: AccessTokenClaims,
  ): Promise<PartnerPrincipal> {
    if (!claims.jti) throw new AuthenticationFailed('token_revoked');
    // One Redis read for the token's, the client's and the partner's deny entries (the client is cached).
    const client = await this.clients.findActive(claims.sub);
    const denied = await this.revocations.deniedBy(
      this.revocations.entriesFor({ jti: claims.jti, clientId: claims.sub, partnerId: client?.partnerId }),
    );
    if (denied) throw new AuthenticationFailed(denied);
    return this.partnerFromClaims(request, claims, claims.jti);
  }

  /** Every partner check but the deny list: the client, its certificate binding, the partner. */
  private async partnerFromClaims(
    request: FastifyRequest,
    claims: AccessTokenClaims,
    tokenId: string,
  ): Promise<PartnerPrincipal> {
    const client = await this.clients.findActive(claims.sub);
    if (!client) throw new AuthenticationFailed('client_revoked');
    const bound = claims.cnf?.['x5t#S256'] ?? client.certificateThumbprint;
    if (bound && peerCertificateThumbprint(request) !== bound)
      throw new AuthenticationFailed('certificate_mismatch');
    const partner = await this.partners.get(client.partnerId);
    if (partner.status !== 'active') throw new AuthenticationFailed('partner_suspended');
    const granted = (claims.scope ?? '').split(' ').filter((s) => (client.scopes as string[]).includes(s));
    return {
      kind: 'partner_client',
      id: client.id,
      partnerId: partner.id,
      partnerType: partner.type,
      vendorId: partner.vendorId,
      organizationIds: partner.organizationIds,
      categories: partner.categories,
      purpose: partner.purpose,
      requiresConsent: partner.requiresConsent,
      // A member-scoped token holds its scopes only on its member's route (403 elsewhere).
      scopes: new Set(
        (claims.mbr
          ? memberTokenRouteScopes(granted, { method: request.method, route: request.routeOptions?.url })
          : granted) as PartnerScope[],
      ),
      tokenId,
      ...(claims.mbr ? { memberId: claims.mbr } : {}),
    };
  }

  private async localAdmin(claims: AccessTokenClaims): Promise<AdminPrincipal> {
    if (!claims.sid) throw new AuthenticationFailed('session_missing');
    const state = await this.adminSessions.touch(claims.sid);
    if (state === 'idle') throw new AuthenticationFailed('idle_timeout');
    if (state === 'revoked') throw new AuthenticationFailed('session_revoked');
    const user = await this.adminUsers.findActive(claims.sub);
    if (!user) throw new AuthenticationFailed('admin_disabled');
    const tokenScopes = new Set((claims.scope ?? '').split(' '));
    return {
      kind: 'admin',
      id: user.id,
      role: user.role,
      // The role's current scopes, narrowed by what the token carries.
      scopes: new Set<AdminScope>(ADMIN_ROLE_SCOPES[user.role].filter((s) => tokenScopes.has(s))),
      mfa: (claims.amr ?? []).some((m) => MFA_AMR.includes(m)),
      sessionId: claims.sid,
      source: 'local',
    };
  }

  private async oidcAdmin(claims: AccessTokenClaims): Promise<AdminPrincipal> {
    const user = claims.email ? await this.adminUsers.findActiveByEmail(claims.email) : null;
    if (!user) throw new AuthenticationFailed('admin_unknown');
    return {
      kind: 'admin',
      id: user.id,
      role: user.role,
      scopes: new Set(ADMIN_ROLE_SCOPES[user.role]),
      mfa: (claims.amr ?? []).some((m) => MFA_AMR.includes(m)),
      source: 'oidc',
    };
  }
}
