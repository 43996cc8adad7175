import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@app/common';
import { AuditEvent } from './audit-event.entity';

export type AuditRecord = Omit<AuditEvent, 'id' | 'occurredAt'> & { occurredAt?: Date };

@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends an event inside the caller's transaction (`em` is the transactional EntityManager),
   * so the event commits or rolls back with the change it describes.
   */
  async record(em: EntityManager, event: AuditRecord): Promise<void> {
    await em.insert(AuditEvent, { ...event, occurredAt: event.occurredAt ?? this.clock.now() });
  }

  /** Appends an event that describes no change (a refused or failed request) in its own transaction. */
  async recordStandalone(event: AuditRecord): Promise<void> {
    await this.record(this.em.fork(), event);
  }
}
