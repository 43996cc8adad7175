// Member rights requests (access export, amendment, deletion) and legal holds.
// It must never keep a member value outside a sealed note, nor delete a member under a legal hold.
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MembersModule } from '@app/members';
import { LegalHold } from './legal-hold.entity';
import { LegalHoldsController } from './legal-holds.controller';
import { LegalHoldsService } from './legal-holds.service';
import { RightsExportLink } from './rights-export-link.entity';
import { AmendmentSubscriberRegistry } from './amendment-subscribers';
import { RightsExportsController } from './rights-exports.controller';
import { RightsExportsService } from './rights-exports.service';
import { RightsOverdueCheckJob } from './rights-overdue-check.job';
import { RightsRequest } from './rights-request.entity';
import { RightsRequestsController } from './rights-requests.controller';
import { RightsRequestsService } from './rights-requests.service';

@Module({
  imports: [MembersModule, MikroOrmModule.forFeature([RightsRequest, RightsExportLink, LegalHold])],
  controllers: [RightsRequestsController, RightsExportsController, LegalHoldsController],
  // The overdue handler lives here (like outbox.prune in OutboxModule); only the worker schedules it.
  providers: [
    RightsRequestsService,
    RightsExportsService,
    LegalHoldsService,
    RightsOverdueCheckJob,
    AmendmentSubscriberRegistry,
  ],
  exports: [RightsRequestsService, LegalHoldsService, AmendmentSubscriberRegistry],
})
export class RightsModule {}
