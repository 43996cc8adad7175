import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '@app/identity';
import { GatewayGuard } from './gateway.guard';
import { RateLimitsService } from './rate-limits.service';

@Module({
  imports: [AccessModule],
  providers: [RateLimitsService, GatewayGuard, { provide: APP_GUARD, useExisting: GatewayGuard }],
})
export class GatewayModule {}
