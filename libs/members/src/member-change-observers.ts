import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MemberField } from './catalog/field-catalog';

export type MemberChangeKind = 'created' | 'updated' | 'deleted';

/**
 * A member change as observers see it: opaque ids, the new version, which fields (catalog names,
 * never values) and who sent it. Enough for another lib to record that the change happened.
 */
export interface MemberChangeEvent {
  kind: MemberChangeKind;
  memberId: string;
  organizationId: string;
  version: number;
  fields: readonly MemberField[];
  sender: string;
  occurredAt: Date;
  recordedAt: Date;
}

/** A lib that must record member changes in the transaction that makes them (sync's outbox). */
export interface MemberChangeObserver {
  readonly name: string;
  /** Runs on the change's own `em`, inside its transaction: a throw rolls the change back. */
  changed(em: EntityManager, changes: readonly MemberChangeEvent[]): Promise<void>;
}

/**
 * Observers register themselves at module init; MemberWriter tells each one about every change
 * it writes. Lets sync plug into member changes without members importing sync.
 */
@Injectable()
export class MemberChangeObservers {
  private readonly observers: MemberChangeObserver[] = [];

  register(observer: MemberChangeObserver): void {
    // Twice would write every outbox row twice.
    if (this.observers.some((o) => o.name === observer.name))
      throw new Error(`member change observer ${observer.name} registered twice`);
    this.observers.push(observer);
  }

  async notify(em: EntityManager, changes: readonly MemberChangeEvent[]): Promise<void> {
    if (changes.length === 0) return;
    for (const observer of this.observers) await observer.changed(em, changes);
  }
}
