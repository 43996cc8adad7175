import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig, Clock, CoreModule } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { EPHI_LOG_KEYS, MembersModule } from '@app/members';
import { JobsRunner } from './jobs/jobs-runner';
import { RotateKeysJob } from './jobs/rotate-keys.job';
import { AuditCheckpointJob } from './jobs/audit-checkpoint.job';
import { DeliverAlertJob } from './jobs/deliver-alert.job';

/** The background process: BullMQ job handlers (key rotation, audit checkpoints, alert delivery). */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, 'worker', { ...options, sensitiveLogKeys: EPHI_LOG_KEYS }),
        DiscoveryModule,
        CryptoModule,
        AuditModule,
        MembersModule,
      ],
      providers: [JobsRunner, RotateKeysJob, AuditCheckpointJob, DeliverAlertJob],
    };
  }
}
