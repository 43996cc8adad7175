import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  CreatedWebhookSecret,
  ListWebhookSecretsQuery,
  PartnerWebhookSecretsParams,
  RevokeWebhookSecretDto,
  WebhookSecretPage,
  WebhookSecretParams,
  WebhookSecretSummaryDto,
} from './webhook-secret.dto';
import { WebhookSecretsService } from './webhook-secrets.service';

@ApiTags('admin: partners')
@Controller('admin/partners/:partnerId/webhook-secrets')
export class WebhookSecretsController {
  constructor(private readonly secrets: WebhookSecretsService) {}

  /** The body is `{}`: nothing to choose; the secret is generated and shown only in this answer. */
  @Post()
  @HttpCode(201)
  @Scopes('admin:credentials:write')
  @ApiCreatedResponse({ type: CreatedWebhookSecret })
  create(@Param() { partnerId }: PartnerWebhookSecretsParams, @CurrentActor() actor: Actor) {
    return this.secrets.create(partnerId, actor);
  }

  @Get()
  @Scopes('admin:credentials:write', 'admin:partners:read')
  @ApiOkResponse({ type: WebhookSecretPage })
  list(@Param() { partnerId }: PartnerWebhookSecretsParams, @Query() query: ListWebhookSecretsQuery) {
    return this.secrets.list(partnerId, query);
  }

  @Post(':secretId/revoke')
  @HttpCode(200)
  @Scopes('admin:credentials:write')
  @ApiOkResponse({ type: WebhookSecretSummaryDto })
  revoke(
    @Param() { partnerId, secretId }: WebhookSecretParams,
    @Body() dto: RevokeWebhookSecretDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.secrets.revoke(partnerId, secretId, dto.reason, actor);
  }
}
