import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { AppConfig, REDIS } from '@app/common';
import { AccessModule } from '@app/identity';
import { GatewayGuard } from './gateway.guard';
import { ClientRateLimitGuard, SourceRateLimitGuard } from './rate-limit.guard';

const MINUTE_MS = 60_000;

@Module({
  imports: [
    AccessModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis) => ({
        throttlers: [
          { name: 'ip', ttl: MINUTE_MS, limit: config.rateLimits.ipPerMinute },
          { name: 'auth', ttl: MINUTE_MS, limit: config.rateLimits.authPerMinute },
          { name: 'client', ttl: MINUTE_MS, limit: config.rateLimits.clientPerMinute },
        ],
        storage: new ThrottlerStorageRedisService(redis),
      }),
    }),
  ],
  providers: [
    SourceRateLimitGuard,
    ClientRateLimitGuard,
    GatewayGuard,
    { provide: APP_GUARD, useExisting: GatewayGuard },
  ],
})
export class GatewayModule {}
