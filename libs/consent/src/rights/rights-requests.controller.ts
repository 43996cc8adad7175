import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  CreateRightsRequestDto,
  DenyRightsRequestDto,
  ListRightsRequestsQuery,
  RightsRequestParams,
  RightsStepDto,
} from './rights-requests.dto';
import { RightsExportsService } from './rights-exports.service';
import { RightsRequestsService } from './rights-requests.service';

/** Member rights requests (§164.524 access, §164.526 amendment, deletion): compliance officers only. */
@ApiTags('admin: rights requests')
@Controller('admin/rights-requests')
export class RightsRequestsController {
  constructor(
    private readonly requests: RightsRequestsService,
    private readonly exports: RightsExportsService,
  ) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:rights:write')
  create(@Body() dto: CreateRightsRequestDto, @CurrentActor() actor: Actor) {
    return this.requests.create(actor, dto);
  }

  @Get()
  @Scopes('admin:rights:read')
  list(@Query() query: ListRightsRequestsQuery) {
    return this.requests.list(query);
  }

  @Get(':id')
  @Scopes('admin:rights:read')
  get(@Param() { id }: RightsRequestParams) {
    return this.requests.get(id);
  }

  @Post(':id/review')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  review(@Param() { id }: RightsRequestParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.requests.review(actor, id, dto.reason);
  }

  /** Access: issues a one-time download link (15 minutes), shown only in this answer. */
  @Post(':id/export-link')
  @HttpCode(201)
  @Scopes('admin:rights:write')
  exportLink(@Param() { id }: RightsRequestParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.exports.issueLink(actor, id, dto.reason);
  }

  /** Amendment: accepts and applies the proposed change. */
  @Post(':id/accept')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  accept(@Param() { id }: RightsRequestParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.requests.accept(actor, id, dto.reason);
  }

  @Post(':id/deny')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  deny(
    @Param() { id }: RightsRequestParams,
    @Body() dto: DenyRightsRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.requests.deny(actor, id, dto.reason);
  }

  /** Deletion: crypto-shreds the member (409 `legal-hold` and status refused under a hold). */
  @Post(':id/complete')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  complete(@Param() { id }: RightsRequestParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.requests.complete(actor, id, dto.reason);
  }

  @Post(':id/refuse')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  refuse(
    @Param() { id }: RightsRequestParams,
    @Body() dto: DenyRightsRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.requests.refuse(actor, id, dto.reason);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  withdraw(@Param() { id }: RightsRequestParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.requests.withdraw(actor, id, dto.reason);
  }

  /** The one 30-day extension the rules allow, with its written reason. */
  @Post(':id/extend')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  extend(@Param() { id }: RightsRequestParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.requests.extend(actor, id, dto.reason);
  }
}
