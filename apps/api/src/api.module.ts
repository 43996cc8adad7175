import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AppConfig, CoreModule, ProblemFilter, createValidationPipe } from '@app/common';
import { HealthModule } from './health/health.module';

/** The HTTP process: wires the domain modules behind TLS, guards and the problem filter. */
@Module({})
export class ApiModule {
  /** `extraImports` lets e2e suites mount probe routes; production passes nothing. */
  static forRoot(config: AppConfig, extraImports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [CoreModule.forRoot(config, 'api'), HealthModule, ...extraImports],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
