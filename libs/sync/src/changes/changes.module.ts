// The partner change feed (GET /api/v1/changes) for partners who pull instead of subscribing.
// It must never read member_change itself: members owns the log and decides what a partner sees.
import { Module } from '@nestjs/common';
import { MembersModule } from '@app/members';
import { ChangeFeedService } from './change-feed.service';
import { ChangesController } from './changes.controller';

@Module({
  imports: [MembersModule],
  controllers: [ChangesController],
  providers: [ChangeFeedService],
})
export class ChangesModule {}
