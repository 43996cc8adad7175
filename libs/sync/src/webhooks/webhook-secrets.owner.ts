import { Injectable } from '@nestjs/common';
import { EntitySecretsOwner } from '@app/crypto';
import { WebhookSecret } from './webhook-secret.entity';
import { wrapContext } from './webhook-secret-format';

/** Inbound webhook secrets in a KEK rotation (revoked ones too: they stay readable for the record). */
@Injectable()
export class WebhookSecretsOwner extends EntitySecretsOwner<WebhookSecret> {
  readonly name = 'webhook_secret';
  protected readonly entity = WebhookSecret;
  protected readonly key = 'id' as const;
  protected readonly column = 'secretWrapped' as const;

  protected contextOf(row: WebhookSecret): string {
    return wrapContext(row.partnerId, row.id);
  }
}
