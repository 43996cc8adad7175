import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { CreateApiKeyDto } from '../api-keys/create-api-key.dto';
import { ClientsService } from '../clients/clients.service';
import { CreateClientDto } from '../clients/create-client.dto';
import { CreatePartnerDto } from './create-partner.dto';
import { PartnersService } from './partners.service';
import { PartnerIdParam } from './partner-id.param';

@ApiTags('admin: partners')
@Controller('admin/partners')
export class PartnersController {
  constructor(
    private readonly partners: PartnersService,
    private readonly clients: ClientsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:partners:write')
  create(@Body() dto: CreatePartnerDto, @CurrentActor() actor: Actor) {
    return this.partners.create(dto, actor);
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
  rotateApiKey(
    @Param() { partnerId, keyId }: PartnerIdParam & { keyId: string },
    @CurrentActor() actor: Actor,
  ) {
    return this.apiKeys.rotate(partnerId, keyId, actor);
  }
}
