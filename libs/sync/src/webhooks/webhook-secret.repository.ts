import { EntityRepository } from '@mikro-orm/postgresql';
import type { WebhookSecret } from './webhook-secret.entity';

/** A position in a partner's secret list, newest first. */
export interface WebhookSecretPosition {
  createdAt: Date;
  id: string;
}

/** Every method takes the partner id, so no query can reach another partner's secrets. */
export class WebhookSecretRepository extends EntityRepository<WebhookSecret> {
  active(partnerId: string): Promise<WebhookSecret[]> {
    return this.find({ partnerId, status: 'active' }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  countActive(partnerId: string): Promise<number> {
    return this.count({ partnerId, status: 'active' });
  }

  ofPartner(partnerId: string, id: string): Promise<WebhookSecret | null> {
    return this.findOne({ partnerId, id });
  }

  /** One page, newest first, after `after` (keyset on createdAt, id). */
  page(partnerId: string, after: WebhookSecretPosition | null, limit: number): Promise<WebhookSecret[]> {
    return this.find(
      after
        ? {
            partnerId,
            $or: [
              { createdAt: { $lt: after.createdAt } },
              { createdAt: after.createdAt, id: { $lt: after.id } },
            ],
          }
        : { partnerId },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit },
    );
  }

  /** Ends an active secret; false when it was not active (already revoked or not this partner's). */
  async revoke(
    partnerId: string,
    id: string,
    revocation: { revokedAt: Date; revokedBy: string; revokeReason: string },
  ): Promise<boolean> {
    const changed = await this.nativeUpdate(
      { partnerId, id, status: 'active' },
      { status: 'revoked', ...revocation },
    );
    return changed === 1;
  }
}
