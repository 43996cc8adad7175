import { Controller, Get, Headers, Query } from '@nestjs/common';
import { ChangeFeed } from './change-feed';
import { PageQueryDto } from './dto/page-query.dto';

@Controller()
export class ChangeFeedController {
  constructor(private readonly feed: ChangeFeed) {}

  @Get('changes')
  changes(@Headers('authorization') authorization: string | undefined, @Query() query: PageQueryDto) {
    return this.feed.page(authorization, query.cursor, query.limit);
  }
}
