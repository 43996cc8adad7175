// The audit trail and security alerts: append-only events written in the caller's transaction.
// It must never store a field value, a body, a query-string value or a secret.
import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Alert } from './alert.entity';
import { AlertsService } from './alerts.service';
import { AuditEvent } from './audit-event.entity';
import { AuditService } from './audit.service';

@Global()
@Module({
  imports: [MikroOrmModule.forFeature([AuditEvent, Alert])],
  providers: [AuditService, AlertsService],
  exports: [AuditService, AlertsService],
})
export class AuditModule {}
