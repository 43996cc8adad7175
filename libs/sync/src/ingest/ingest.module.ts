// Signed updates and batches from a source, decided per field by the catalog's conflict policies, and
// the reconciliation cases they open. It must never hold a proposed value unsealed outside a request.
import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { MembersModule } from '@app/members';
import { ReconciliationCaseStore } from '../reconciliation/reconciliation-case.store';
import { ReconciliationCasesController } from '../reconciliation/reconciliation-cases.controller';
import { ReconciliationService } from '../reconciliation/reconciliation.service';
import { AppliedEventsStore } from './applied-events.store';
import { ChangeGroupCommit } from './change-group-commit';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';

@Module({
  imports: [IdentityModule, MembersModule],
  controllers: [IngestController, ReconciliationCasesController],
  providers: [
    IngestService,
    AppliedEventsStore,
    ChangeGroupCommit,
    ReconciliationService,
    ReconciliationCaseStore,
  ],
  exports: [IngestService, ReconciliationService],
})
export class IngestModule {}
