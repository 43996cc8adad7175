import { Injectable } from '@nestjs/common';
import { EntitySecretsOwner } from '@app/crypto';
import { Incident } from './incident.entity';
import { incidentKeyContext } from './incident-text';

/** Incidents' data keys (sealing the officer's text) in a KEK rotation. */
@Injectable()
export class IncidentKeysOwner extends EntitySecretsOwner<Incident> {
  readonly name = 'incident';
  protected readonly entity = Incident;
  protected readonly key = 'id' as const;
  protected readonly column = 'textKey' as const;

  protected contextOf(row: Incident): string {
    return incidentKeyContext(row.id);
  }
}
