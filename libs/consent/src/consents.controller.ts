import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  ConsentDto,
  ConsentPageDto,
  ConsentParams,
  CreateConsentDto,
  CreatedConsentDto,
  ListConsentsQuery,
  RevokeConsentDto,
  RevokedConsentDto,
} from './consent.dto';
import { ConsentsService } from './consents.service';

@ApiTags('admin: consents')
@Controller('admin/consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:consents:write')
  @ApiCreatedResponse({ type: CreatedConsentDto })
  create(@Body() dto: CreateConsentDto, @CurrentActor() actor: Actor) {
    return this.consents.create(actor, dto);
  }

  @Get()
  @Scopes('admin:consents:read')
  @ApiOkResponse({ type: ConsentPageDto })
  list(@Query() query: ListConsentsQuery) {
    return this.consents.list(query);
  }

  @Get(':consentId')
  @Scopes('admin:consents:read')
  @ApiOkResponse({ type: ConsentDto })
  get(@Param() { consentId }: ConsentParams) {
    return this.consents.get(consentId);
  }

  @Post(':consentId/revoke')
  @HttpCode(200)
  @Scopes('admin:consents:write')
  @ApiOkResponse({ type: RevokedConsentDto })
  revoke(@Param() { consentId }: ConsentParams, @Body() dto: RevokeConsentDto, @CurrentActor() actor: Actor) {
    return this.consents.revoke(actor, consentId, dto.reason);
  }
}
