// The audit trail and security alerts: hash-chained, append-only events written in the caller's
// transaction; signed checkpoints; verification, search, export. It must never store a field
// value, a body, a query-string value or a secret.
import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AfterCommit } from './after-commit';
import { Alert } from './alert.entity';
import { AlertsService } from './alerts.service';
import { AuditAdminController } from './audit-admin.controller';
import { AuditEvent } from './audit-event.entity';
import { AuditService } from './audit.service';
import { AuditVerifierService } from './chain/audit-verifier.service';
import { CheckpointsService } from './chain/checkpoints.service';
import { AuditQueryService } from './query/audit-query.service';

@Global()
@Module({
  imports: [MikroOrmModule.forFeature([AuditEvent, Alert])],
  controllers: [AuditAdminController],
  providers: [
    AfterCommit,
    AuditService,
    AlertsService,
    CheckpointsService,
    AuditVerifierService,
    AuditQueryService,
  ],
  exports: [AuditService, AlertsService, CheckpointsService, AuditVerifierService, AuditQueryService],
})
export class AuditModule {}
