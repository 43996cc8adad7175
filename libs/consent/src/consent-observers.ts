import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DataCategory } from '@app/common';

/** A consent revoked, as observers see it: opaque ids, the purpose and category names; never values. */
export interface ConsentRevokedEvent {
  consentId: string;
  memberId: string;
  organizationId: string;
  partnerId: string;
  purpose: string;
  categories: readonly DataCategory[];
  revokedAt: Date;
}

/** A lib that must act on a revocation in the transaction that records it (sync: the signed notice). */
export interface ConsentObserver {
  readonly name: string;
  /** Runs on the revocation's own `em`, inside its transaction: a throw rolls the revocation back. */
  consentRevoked(em: EntityManager, event: ConsentRevokedEvent): Promise<void>;
}

/**
 * Observers register at module init; the consent service tells each about every revocation. Lets
 * sync send the partner its revocation notice without consent importing sync.
 */
@Injectable()
export class ConsentObservers {
  private readonly observers: ConsentObserver[] = [];

  register(observer: ConsentObserver): void {
    if (this.observers.some((o) => o.name === observer.name))
      throw new Error(`consent observer ${observer.name} registered twice`);
    this.observers.push(observer);
  }

  async revoked(em: EntityManager, event: ConsentRevokedEvent): Promise<void> {
    for (const observer of this.observers) await observer.consentRevoked(em, event);
  }
}
