import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, PageQuery, Scopes } from '@app/common';
import { CHANGE_FEED_PAGE_SCHEMA } from './change-feed.schema';
import { ChangeFeedService } from './change-feed.service';

@ApiTags('changes')
@Controller('changes')
export class ChangesController {
  constructor(private readonly feed: ChangeFeedService) {}

  /** The partner change feed: member changes of the partner's organizations in commit order, projected. */
  @Get()
  @Scopes('members:read', 'members.eligibility:read')
  @ApiOkResponse({ schema: CHANGE_FEED_PAGE_SCHEMA })
  list(@Query() query: PageQuery, @CurrentActor() actor: Actor) {
    return this.feed.page(actor, query);
  }
}
