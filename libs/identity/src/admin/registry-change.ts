import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { auditActor, type AuditRecord } from '@app/audit';
import type { Actor } from '@app/common';

/** The body of every registry change (suspend, reinstate, revoke, disable): why, in one line. */
export class ChangeReasonDto {
  @ApiProperty({
    description: 'why (a ticket reference; never PHI), kept on the row and audited (first 80 characters)',
    maxLength: 200,
  })
  @IsString()
  // Printable text on one line: it is stored and shown in the audit trail.
  @Matches(/^[^\p{Cc}]{1,200}$/u)
  @MaxLength(200)
  reason: string;
}

/** The audit column holds 80 characters; the full reason stays on the changed row. */
export const AUDITED_REASON_LENGTH = 80;

/** Who changed a row, as stored on it: the admin's id, or the system actor (a CLI command, an incident job). */
export function changedBy(actor: Actor): string {
  return (actor.principal?.id ?? actor.system ?? 'unknown').slice(0, 40);
}

/** Who acted, for the audit trail: the admin, or the system actor a command names. */
export function auditedChanger(
  actor: Actor,
): ReturnType<typeof auditActor> & Pick<AuditRecord, 'actorType' | 'actorId'> {
  const base = auditActor(actor);
  return actor.principal ? base : { ...base, actorType: 'system', actorId: actor.system ?? null };
}
