// The audit lib's background jobs (checkpoint signing, security alert delivery), for the worker
// process only: the API must never run or schedule them.
import { Module } from '@nestjs/common';
import { AuditCheckpointJob } from './audit-checkpoint.job';
import { DeliverAlertJob } from './deliver-alert.job';

@Module({
  providers: [AuditCheckpointJob, DeliverAlertJob],
})
export class AuditJobsModule {}
