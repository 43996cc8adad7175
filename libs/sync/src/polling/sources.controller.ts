import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  BackfillStatusDto,
  CreatedSource,
  CreateSourceDto,
  PollRequestedDto,
  SourceParams,
  SourceStatusDto,
} from './source.dto';
import { SourcesService } from './sources.service';

/** Registering a source holds a credential (its feed token): security admins, like webhook secrets. */
@ApiTags('admin: sources')
@Controller('admin/sources')
export class SourcesController {
  constructor(private readonly sources: SourcesService) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:credentials:write')
  @ApiCreatedResponse({ type: CreatedSource })
  create(@Body() dto: CreateSourceDto, @CurrentActor() actor: Actor) {
    return this.sources.create(dto, actor);
  }

  @Get(':id/status')
  @Scopes('admin:credentials:write', 'admin:partners:read')
  @ApiOkResponse({ type: SourceStatusDto })
  status(@Param() { id }: SourceParams) {
    return this.sources.status(id);
  }

  @Post(':id/poll')
  @HttpCode(202)
  @Scopes('admin:credentials:write')
  @ApiAcceptedResponse({ type: PollRequestedDto })
  poll(@Param() { id }: SourceParams, @CurrentActor() actor: Actor) {
    return this.sources.pollNow(id, actor);
  }

  @Post(':id/backfill')
  @HttpCode(202)
  @Scopes('admin:credentials:write')
  @ApiAcceptedResponse({ type: BackfillStatusDto })
  backfill(@Param() { id }: SourceParams, @CurrentActor() actor: Actor) {
    return this.sources.backfill(id, actor);
  }

  @Get(':id/backfill')
  @Scopes('admin:credentials:write', 'admin:partners:read')
  @ApiOkResponse({ type: BackfillStatusDto })
  backfillStatus(@Param() { id }: SourceParams) {
    return this.sources.backfillStatus(id);
  }
}
