// Inbound webhooks: partners' signing secrets (wrapped by the KEK) and the signed-request check
// that @SignedWebhook routes run. It must never keep a secret unwrapped outside memory, nor log one.
import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { InboundWebhookVerifier } from '@app/common';
import { IdentityModule } from '@app/identity';
import { ActiveSecretsCache } from './active-secrets-cache';
import { SignedRequestVerifier } from './signed-request.verifier';
import { WebhookSecret } from './webhook-secret.entity';
import { WebhookSecretsController } from './webhook-secrets.controller';
import { WebhookSecretsOwner } from './webhook-secrets.owner';
import { WebhookSecretsService } from './webhook-secrets.service';

// Global so that a domain lib's controller (members) can mark a route @SignedWebhook without importing sync.
@Global()
@Module({
  imports: [IdentityModule, MikroOrmModule.forFeature([WebhookSecret])],
  controllers: [WebhookSecretsController],
  providers: [
    ActiveSecretsCache,
    WebhookSecretsService,
    SignedRequestVerifier,
    WebhookSecretsOwner,
    { provide: InboundWebhookVerifier, useExisting: SignedRequestVerifier },
  ],
  exports: [InboundWebhookVerifier, WebhookSecretsService],
})
export class WebhooksModule {}
