import { randomBase32 } from '@app/common';
import { openField, sealField } from '@app/crypto';
import type { ASSESSMENT_FACTORS } from './risk-assessment';

/** The officer's free text of an incident: may hold PHI by mistake, so it is only ever stored sealed. */
export interface IncidentText {
  description: string;
  notes: Record<(typeof ASSESSMENT_FACTORS)[number], string> | null;
  whatWeAreDoing: string | null;
}

export function newIncidentId(): string {
  return `inc_${randomBase32()}`;
}

/** The KEK context of an incident's data key: a wrapped key moved to another incident fails to unwrap. */
export function incidentKeyContext(incidentId: string): string {
  return `incident:${incidentId}`;
}

const aad = (incidentId: string) => `incident|${incidentId}|text`;

export function sealIncidentText(key: Buffer, incidentId: string, text: IncidentText): Buffer {
  return sealField(key, Buffer.from(JSON.stringify(text), 'utf8'), aad(incidentId));
}

export function openIncidentText(key: Buffer, incidentId: string, sealed: Buffer): IncidentText {
  return JSON.parse(openField(key, sealed, aad(incidentId)).toString('utf8')) as IncidentText;
}
