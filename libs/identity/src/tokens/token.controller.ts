import { Body, Controller, Get, Header, HttpCode, Post, Req, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppConfig, AuthRateLimited, PARTNER_SCOPES, Public } from '@app/common';
import { CLIENT_KEY_ALGS } from '../clients/jwks-validation';
import { SigningKeysService } from './signing-keys.service';
import { RevocationRequestDto, TokenRequestDto } from './token-request.dto';
import { TokenService } from './token.service';

@ApiTags('oauth')
@Controller({ version: VERSION_NEUTRAL })
export class TokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly signingKeys: SigningKeysService,
    private readonly config: AppConfig,
  ) {}

  @Post('oauth/token')
  @Public()
  @AuthRateLimited()
  @HttpCode(200)
  @Header('pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: 'Client-credentials grant (client_secret_basic or private_key_jwt)' })
  token(@Req() request: FastifyRequest, @Body() form: TokenRequestDto) {
    return this.tokens.issue(request, form);
  }

  @Post('oauth/revoke')
  @Public()
  @AuthRateLimited()
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: 'RFC 7009 token revocation' })
  async revoke(@Req() request: FastifyRequest, @Body() form: RevocationRequestDto) {
    await this.tokens.revoke(request, form);
    return {};
  }

  @Get('.well-known/jwks.json')
  @Public()
  @ApiOperation({ summary: 'Public keys that verify our access tokens' })
  jwks() {
    return this.signingKeys.jwks();
  }

  @Get('.well-known/oauth-authorization-server')
  @Public()
  @ApiOperation({ summary: 'RFC 8414 authorization server metadata' })
  metadata() {
    const { issuer, tokenEndpoint } = this.config.auth;
    return {
      issuer,
      token_endpoint: tokenEndpoint,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...CLIENT_KEY_ALGS],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      scopes_supported: [...PARTNER_SCOPES],
      response_types_supported: ['token'],
      tls_client_certificate_bound_access_tokens: Boolean(this.config.auth.clientCaFile),
    };
  }
}
