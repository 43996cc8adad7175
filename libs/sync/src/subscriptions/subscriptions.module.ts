// Partners' outbound webhook subscriptions and the one client that may call their URLs. It must
// never open a connection to an address the public-address rule refuses, nor return a secret twice.
import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@app/common';
import { SubscriptionHostResolver } from './host-resolver';
import { SafeWebhookClient } from './safe-webhook.client';
import { SubscriptionHealthService } from './subscription-health.service';
import { SubscriptionHealthStore } from './subscription-health.store';
import { SubscriptionSecretsOwner } from './subscription-secrets.owner';
import { SubscriptionStatusController } from './subscription-status.controller';
import { WebhookSubscriptionSecret } from './webhook-subscription-secret.entity';
import { WebhookSubscription } from './webhook-subscription.entity';
import { SubscriptionAmendmentSubscribers } from './amendment-subscribers.provider';
import { WebhookSubscriptionsController } from './webhook-subscriptions.controller';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';

@Module({
  imports: [MikroOrmModule.forFeature([WebhookSubscription, WebhookSubscriptionSecret])],
  controllers: [WebhookSubscriptionsController, SubscriptionStatusController],
  providers: [
    SubscriptionAmendmentSubscribers,
    SubscriptionHostResolver,
    WebhookSubscriptionsService,
    SubscriptionSecretsOwner,
    SubscriptionHealthStore,
    SubscriptionHealthService,
    // The test-only switches (loopback, a test CA) come from config, which refuses them in
    // production; the client refuses loopback in production once more.
    {
      provide: SafeWebhookClient,
      useFactory: (config: AppConfig) =>
        new SafeWebhookClient({
          environment: config.env,
          allowLoopback: config.deliveries.allowLoopback,
          ca: config.deliveries.caFile ? readFileSync(config.deliveries.caFile) : undefined,
        }),
      inject: [AppConfig],
    },
  ],
  exports: [
    WebhookSubscriptionsService,
    SafeWebhookClient,
    SubscriptionHealthStore,
    SubscriptionHealthService,
  ],
})
export class SubscriptionsModule {}
