// Cross-cutting infrastructure every process needs: typed config, redacting logger, database, Redis.
// It must never import a domain lib or hold a business rule.
import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { LoggerModule } from 'nestjs-pino';
import type { Redis } from 'ioredis';
import { AppConfig } from './config/app-config';
import { createLoggerOptions } from './logging/logger-options';
import { serializeRequest } from './logging/redaction';
import { mikroOrmOptions } from './database/mikro-orm-options';
import { createRedis } from './redis/redis-connection';
import { REDIS } from './redis/redis.tokens';
import { Clock, SystemClock } from './time/clock';
import { JobQueues } from './jobs/job-queues.service';

@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  static forRoot(
    config: AppConfig,
    processName: string,
    options: { clock?: Clock; sensitiveLogKeys?: readonly string[] } = {},
  ): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app: config })] }),
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
          pinoHttp: {
            ...createLoggerOptions(config.log, options.sensitiveLogKeys),
            name: 'member-sync',
            // Fastify assigned the id (see request-id.ts); reuse it so logs and problems agree.
            genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
            serializers: {
              req: serializeRequest,
              res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
            },
            customProps: () => ({ process: processName }),
            autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
          },
        }),
        MikroOrmModule.forRoot({ ...mikroOrmOptions(config.database), autoLoadEntities: true }),
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        JobQueues,
        { provide: REDIS, useFactory: () => createRedis(config.redis, `${processName}-commands`) },
      ],
      exports: [AppConfig, Clock, REDIS, JobQueues],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
