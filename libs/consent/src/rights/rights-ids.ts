import { randomBase32 } from '@app/common';

/** `rrq_` + 26 random Crockford base32 characters, like every id here. */
export function newRightsRequestId(): string {
  return `rrq_${randomBase32()}`;
}

export function newLegalHoldId(): string {
  return `lgh_${randomBase32()}`;
}

/** Who acted, as the `*_by` columns keep it: the admin id, or a command's system name. */
export function actorId(actor: { principal?: { id: string }; system?: string }): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 40);
}
