import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { BulkReplayDto, DeadLetterListDto, DeadLetterParams, ReplayResultDto } from './dead-letter.dto';
import { DeadLettersService } from './dead-letters.service';

@ApiTags('admin: deliveries')
@Controller('admin/deliveries/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @Scopes('admin:queues', 'admin:queues:write')
  @ApiOkResponse({ type: DeadLetterListDto })
  list() {
    return this.deadLetters.list();
  }

  @Post('replay')
  @HttpCode(202)
  @Scopes('admin:queues:write')
  @ApiAcceptedResponse({ type: ReplayResultDto })
  replayMany(@Body() dto: BulkReplayDto, @CurrentActor() actor: Actor) {
    return this.deadLetters.replayMany(actor, dto.ids);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @Scopes('admin:queues:write')
  @ApiAcceptedResponse({ type: ReplayResultDto })
  replay(@Param() { id }: DeadLetterParams, @CurrentActor() actor: Actor) {
    return this.deadLetters.replay(actor, id);
  }
}
