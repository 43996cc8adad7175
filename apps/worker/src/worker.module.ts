import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig, Clock, CoreModule } from '@app/common';
import { AuditJobsModule, AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { KeysModule } from '@app/keys';
import {
  DeliveriesJobsModule,
  IdempotencyJobsModule,
  OutboxJobsModule,
  PollingJobsModule,
  SyncModule,
} from '@app/sync';
import { EPHI_LOG_KEYS, MembersModule } from '@app/members';
import { ConsentModule, RightsJobsModule } from '@app/consent';
import { IncidentsModule } from '@app/incidents';
import { VendorsJobsModule, VendorsModule } from '@app/vendors';
import { JobsRunner } from './jobs/jobs-runner';

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
        AuditJobsModule,
        MembersModule,
        KeysModule,
        SyncModule,
        IdempotencyJobsModule,
        OutboxJobsModule,
        DeliveriesJobsModule,
        PollingJobsModule,
        VendorsModule,
        VendorsJobsModule,
        ConsentModule,
        RightsJobsModule,
        IncidentsModule,
      ],
      providers: [JobsRunner],
    };
  }
}
