// Cross-cutting infrastructure every process needs: typed config, redacting logger, database, Redis.
// It must never import a domain lib or hold a business rule.
import { hostname } from 'node:os';
import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { LoggerModule } from 'nestjs-pino';
import type { Redis } from 'ioredis';
import { AppConfig } from './config/app-config';
import {
  createLogDestination,
  createLoggerOptions,
  flushLogDestination,
  type LogDestination,
} from './logging/logger-options';
import { serializeRequest } from './logging/redaction';
import { mikroOrmOptions } from './database/mikro-orm-options';
import { createRedis } from './redis/redis-connection';
import { REDIS } from './redis/redis.tokens';
import { Clock, SystemClock } from './time/clock';
import { JobQueues } from './jobs/job-queues.service';

const LOG_DESTINATION = Symbol('log destination');

@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOG_DESTINATION) private readonly logDestination: LogDestination | undefined,
  ) {}

  static forRoot(
    config: AppConfig,
    processName: string,
    options: { clock?: Clock; sensitiveLogKeys?: readonly string[] } = {},
  ): DynamicModule {
    const logDestination = createLogDestination(config.log);
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app: config })] }),
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
          pinoHttp: {
            ...createLoggerOptions(config.log, options.sensitiveLogKeys),
            name: 'member-sync',
            // On the process's own bindings, not a child logger per request (as customProps would).
            base: { pid: process.pid, hostname: hostname(), process: processName },
            // Fastify assigned the id (see request-id.ts); reuse it so logs and problems agree.
            genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
            serializers: {
              req: serializeRequest,
              res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
            },
            autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
            stream: logDestination,
          },
        }),
        MikroOrmModule.forRoot({ ...mikroOrmOptions(config.database), autoLoadEntities: true }),
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: LOG_DESTINATION, useValue: logDestination },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        JobQueues,
        { provide: REDIS, useFactory: () => createRedis(config.redis, `${processName}-commands`) },
      ],
      exports: [AppConfig, Clock, REDIS, JobQueues],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    // Lines still buffered by the asynchronous destination are written before the process goes.
    if (this.logDestination) await flushLogDestination(this.logDestination);
    await this.redis.quit().catch(() => undefined);
  }
}
