import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AppConfig, Clock } from '@app/common';
import { SigningKeysService } from './signing-keys.service';

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  jti: string;
}

/** Mints ES256 access tokens (RFC 9068 shape) for partner clients and admin sessions. */
@Injectable()
export class TokenIssuerService {
  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** With `memberId`, a member-scoped token: the `mbr` claim names its only object, and it lives `ttlSeconds` at most. */
  issuePartnerToken(input: {
    clientId: string;
    scopes: string[];
    certificateThumbprint?: string | null;
    memberId?: string;
    ttlSeconds?: number;
  }) {
    return this.sign(
      this.config.auth.partnerAudience,
      input.clientId,
      {
        client_id: input.clientId,
        scope: input.scopes.join(' '),
        ...(input.certificateThumbprint ? { cnf: { 'x5t#S256': input.certificateThumbprint } } : {}),
        ...(input.memberId ? { mbr: input.memberId } : {}),
      },
      input.ttlSeconds,
    );
  }

  issueAdminToken(input: { adminId: string; sessionId: string; scopes: readonly string[] }) {
    return this.sign(this.config.auth.adminAudience, input.adminId, {
      sid: input.sessionId,
      scope: input.scopes.join(' '),
      amr: ['pwd', 'otp'],
    });
  }

  private async sign(
    audience: string,
    subject: string,
    claims: Record<string, unknown>,
    ttlSeconds?: number,
  ): Promise<IssuedToken> {
    const { kid, privateKey } = await this.signingKeys.activeSigner();
    const now = this.clock.nowSeconds();
    // Never longer than the configured lifetime (≤ 15 minutes), only shorter.
    const expiresIn = Math.min(ttlSeconds ?? Infinity, this.config.auth.accessTokenTtlSeconds);
    const jti = randomUUID();
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(this.config.auth.issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(jti)
      .sign(privateKey);
    return { accessToken, expiresIn, jti };
  }
}
