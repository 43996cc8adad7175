import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig, Clock, CoreModule } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { MembersModule } from '@app/members';
import { JobsRunner } from './jobs/jobs-runner';
import { RotateKeysJob } from './jobs/rotate-keys.job';

/** The background process: BullMQ job handlers (key rotation now; polling, deliveries, retention next). */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, 'worker', options),
        DiscoveryModule,
        CryptoModule,
        AuditModule,
        MembersModule,
      ],
      providers: [JobsRunner, RotateKeysJob],
    };
  }
}
