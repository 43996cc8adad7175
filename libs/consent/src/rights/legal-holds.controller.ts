import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  LegalHoldParams,
  ListLegalHoldsQuery,
  PlaceLegalHoldDto,
  RightsStepDto,
} from './rights-requests.dto';
import { LegalHoldsService } from './legal-holds.service';

/** Legal holds: a held member cannot be deleted by a rights request or a partner. */
@ApiTags('admin: rights requests')
@Controller('admin/legal-holds')
export class LegalHoldsController {
  constructor(private readonly holds: LegalHoldsService) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:rights:write')
  place(@Body() dto: PlaceLegalHoldDto, @CurrentActor() actor: Actor) {
    return this.holds.place(actor, dto);
  }

  @Get()
  @Scopes('admin:rights:read')
  list(@Query() query: ListLegalHoldsQuery) {
    return this.holds.list(query);
  }

  @Get(':id')
  @Scopes('admin:rights:read')
  get(@Param() { id }: LegalHoldParams) {
    return this.holds.get(id);
  }

  @Post(':id/release')
  @HttpCode(200)
  @Scopes('admin:rights:write')
  release(@Param() { id }: LegalHoldParams, @Body() dto: RightsStepDto, @CurrentActor() actor: Actor) {
    return this.holds.release(actor, id, dto.reason);
  }
}
