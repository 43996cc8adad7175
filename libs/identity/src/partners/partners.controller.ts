import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, PageQuery, Scopes } from '@app/common';
import { ChangeReasonDto } from '../admin/registry-change';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { CreateApiKeyDto } from '../api-keys/create-api-key.dto';
import { ClientsService } from '../clients/clients.service';
import { CreateClientDto } from '../clients/create-client.dto';
import { CreatePartnerDto } from './create-partner.dto';
import { PartnerRegistryService } from './partner-registry.service';
import { PartnersService } from './partners.service';
import { PartnerClientParam, PartnerIdParam, PartnerKeyParam } from './partner-id.param';

@ApiTags('admin: partners')
@Controller('admin/partners')
export class PartnersController {
  constructor(
    private readonly partners: PartnersService,
    private readonly registry: PartnerRegistryService,
    private readonly clients: ClientsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:partners:write')
  create(@Body() dto: CreatePartnerDto, @CurrentActor() actor: Actor) {
    return this.partners.create(dto, actor);
  }

  @Get()
  @Scopes('admin:partners:read')
  list(@Query() query: PageQuery) {
    return this.registry.list(query);
  }

  /** The partner with its clients and API keys: no secret, hash or key prefix. */
  @Get(':partnerId')
  @Scopes('admin:partners:read')
  get(@Param() { partnerId }: PartnerIdParam) {
    return this.registry.detail(partnerId);
  }

  @Post(':partnerId/suspend')
  @HttpCode(200)
  @Scopes('admin:partners:suspend')
  suspend(
    @Param() { partnerId }: PartnerIdParam,
    @Body() dto: ChangeReasonDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.registry.suspend(partnerId, dto.reason, actor);
  }

  @Post(':partnerId/reinstate')
  @HttpCode(200)
  @Scopes('admin:partners:suspend')
  reinstate(
    @Param() { partnerId }: PartnerIdParam,
    @Body() dto: ChangeReasonDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.registry.reinstate(partnerId, dto.reason, actor);
  }

  @Post(':partnerId/clients')
  @HttpCode(201)
  @Scopes('admin:credentials:write')
  createClient(
    @Param() { partnerId }: PartnerIdParam,
    @Body() dto: CreateClientDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.clients.create(partnerId, dto, actor);
  }

  @Post(':partnerId/clients/:clientId/revoke')
  @HttpCode(200)
  @Scopes('admin:credentials:write')
  revokeClient(
    @Param() { partnerId, clientId }: PartnerClientParam,
    @Body() dto: ChangeReasonDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.clients.revokeOfPartner(partnerId, clientId, dto.reason, actor);
  }

  @Post(':partnerId/api-keys')
  @HttpCode(201)
  @Scopes('admin:credentials:write')
  createApiKey(
    @Param() { partnerId }: PartnerIdParam,
    @Body() dto: CreateApiKeyDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.apiKeys.create(partnerId, dto, actor);
  }

  @Post(':partnerId/api-keys/:keyId/rotate')
  @HttpCode(201)
  @Scopes('admin:credentials:write')
  rotateApiKey(@Param() { partnerId, keyId }: PartnerKeyParam, @CurrentActor() actor: Actor) {
    return this.apiKeys.rotate(partnerId, keyId, actor);
  }

  @Post(':partnerId/api-keys/:keyId/revoke')
  @HttpCode(200)
  @Scopes('admin:credentials:write')
  revokeApiKey(
    @Param() { partnerId, keyId }: PartnerKeyParam,
    @Body() dto: ChangeReasonDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.apiKeys.revoke(partnerId, keyId, dto.reason, actor);
  }
}
