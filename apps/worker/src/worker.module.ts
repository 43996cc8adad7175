import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig, CoreModule, redisOptions } from '@app/common';

/** The background process: BullMQ processors for polling, deliveries, rotation and retention. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, 'worker'),
        BullModule.forRoot({
          connection: redisOptions(config.redis),
          // Queue keys live under the install's prefix; `{…}` keeps each queue on one Redis Cluster slot.
          prefix: `{${config.redis.keyPrefix}}`,
        }),
      ],
    };
  }
}
