import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AppConfig, Clock, CoreModule, ProblemFilter, createValidationPipe } from '@app/common';
import { AuditModule } from '@app/audit';
import { CryptoModule } from '@app/crypto';
import { IdentityModule } from '@app/identity';
import { KeysModule } from '@app/keys';
import { SyncModule } from '@app/sync';
import { EPHI_LOG_KEYS, MembersModule } from '@app/members';
import { VendorsModule } from '@app/vendors';
import { ConsentModule } from '@app/consent';
import { IncidentsModule } from '@app/incidents';
import { GatewayModule } from './gateway/gateway.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

/** The HTTP process: wires the domain modules behind TLS, guards and the problem filter. */
@Module({})
export class ApiModule {
  /** `options` let e2e suites mount probe routes and move time; production passes nothing. */
  static forRoot(
    config: AppConfig,
    options: { imports?: ModuleMetadata['imports']; clock?: Clock } = {},
  ): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config, 'api', { clock: options.clock, sensitiveLogKeys: EPHI_LOG_KEYS }),
        CryptoModule,
        AuditModule,
        VendorsModule,
        IdentityModule,
        MembersModule,
        GatewayModule,
        KeysModule,
        SyncModule,
        ConsentModule,
        IncidentsModule,
        HealthModule,
        MetricsModule,
        ...(options.imports ?? []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
