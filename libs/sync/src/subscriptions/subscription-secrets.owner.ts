import { Injectable } from '@nestjs/common';
import { EntitySecretsOwner } from '@app/crypto';
import { subscriptionSecretContext } from './subscription-format';
import { WebhookSubscriptionSecret } from './webhook-subscription-secret.entity';

/** Outbound subscription secrets in a KEK rotation (expired ones too: they stay readable for the record). */
@Injectable()
export class SubscriptionSecretsOwner extends EntitySecretsOwner<WebhookSubscriptionSecret> {
  readonly name = 'webhook_subscription_secret';
  protected readonly entity = WebhookSubscriptionSecret;
  protected readonly key = 'id' as const;
  protected readonly column = 'secretWrapped' as const;

  protected contextOf(row: WebhookSubscriptionSecret): string {
    return subscriptionSecretContext(row.partnerId, row.subscriptionId, row.id);
  }
}
