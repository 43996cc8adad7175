import { type DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Clock } from '@app/common';
import { ChangeFeed } from './change-feed';
import { ChangeFeedController } from './change-feed.controller';
import { ControlAccessGuard } from './control-access.guard';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryInbox } from './delivery-inbox';
import { GenerationService } from './generation.service';
import type { SimConfig } from './sim-config';
import { SimControlController } from './sim-control.controller';
import { SimMembers } from './sim-members';
import { SimSettings } from './sim-settings';
import { SimStore } from './sim-store';
import { WebhookSender } from './webhook-sender';

export interface SimRuntime {
  config: SimConfig;
  pool: Pool;
  /** The certificate the sim serves with (trusted for the target when no CA is given). */
  certificatePem: string;
  clock: Clock;
}

/**
 * A stand-in membership system (member store, change feed, webhook sender, delivery inbox) for the
 * demo, e2e tests and benchmarks. Never imported by libs; never logs member data.
 */
@Module({})
export class MembershipSimModule {
  static forRoot(runtime: SimRuntime): DynamicModule {
    const settings = new SimSettings(runtime.config, runtime.certificatePem, runtime.clock);
    const store = new SimStore(runtime.pool);
    return {
      module: MembershipSimModule,
      controllers: [ChangeFeedController, SimControlController, DeliveriesController],
      providers: [
        ControlAccessGuard,
        { provide: SimSettings, useValue: settings },
        { provide: SimStore, useValue: store },
        { provide: ChangeFeed, useValue: new ChangeFeed(store, settings) },
        { provide: SimMembers, useValue: new SimMembers(store) },
        { provide: DeliveryInbox, useValue: new DeliveryInbox(store, settings, runtime.clock) },
        {
          provide: GenerationService,
          useValue: new GenerationService(store, new WebhookSender(runtime.clock), settings, runtime.clock),
        },
      ],
    };
  }
}
