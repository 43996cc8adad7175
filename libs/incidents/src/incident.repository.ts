import { EntityRepository } from '@mikro-orm/postgresql';
import type { Incident } from './incident.entity';

/** A position in the incident list, newest first. */
export interface IncidentPosition {
  createdAt: Date;
  id: string;
}

/** Incidents span organizations (a compromised client may reach several): they are not tenant rows. */
export class IncidentRepository extends EntityRepository<Incident> {
  page(after: IncidentPosition | null, limit: number): Promise<Incident[]> {
    return this.find(
      after
        ? {
            $or: [
              { createdAt: { $lt: after.createdAt } },
              { createdAt: after.createdAt, id: { $lt: after.id } },
            ],
          }
        : {},
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit },
    );
  }
}
