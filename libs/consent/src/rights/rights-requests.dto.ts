import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsObject, IsOptional, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '@app/common';
import {
  RIGHTS_REQUEST_KINDS,
  RIGHTS_REQUEST_STATUSES,
  type RightsRequestKind,
  type RightsRequestStatus,
} from './rights-request-state';

const MEMBER_ID = /^mbr_[0-9A-HJKMNP-TV-Z]{26}$/;
// Printable text on one line: stored and shown in the audit trail.
const ONE_LINE_200 = /^[^\p{Cc}]{1,200}$/u;
const ONE_LINE_500 = /^[^\p{Cc}]{1,500}$/u;

export class CreateRightsRequestDto {
  @ApiProperty({ example: 'mbr_01JD3Q4Z5X6C7V8B9N0M1K2J3H' })
  @Matches(MEMBER_ID)
  memberId: string;

  @ApiProperty({ enum: RIGHTS_REQUEST_KINDS })
  @IsIn(RIGHTS_REQUEST_KINDS)
  kind: RightsRequestKind;

  @ApiProperty({
    format: 'date-time',
    description: 'when the member made the request (the due date counts from it)',
  })
  @IsISO8601({ strict: true })
  @MaxLength(40)
  receivedAt: string;

  @ApiPropertyOptional({
    description:
      'amendment only (required there): `{ "changes": { <partial member groups> } }`, validated like a member ' +
      'update; stored sealed under the member key. Not allowed for access and deletion.',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  details?: Record<string, unknown>;
}

export class RightsRequestParams {
  @Matches(/^rrq_[0-9A-HJKMNP-TV-Z]{26}$/)
  id: string;
}

export class RightsStepDto {
  @ApiProperty({ description: 'why (a ticket reference; never PHI), audited', maxLength: 200 })
  @Matches(ONE_LINE_200)
  @MaxLength(200)
  reason: string;
}

export class DenyRightsRequestDto {
  @ApiProperty({
    description: 'the written reason for the denial (§164.526(d)); kept on the request. By policy never PHI.',
    maxLength: 500,
  })
  @Matches(ONE_LINE_500)
  @MaxLength(500)
  reason: string;
}

export class ListRightsRequestsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RIGHTS_REQUEST_STATUSES })
  @IsOptional()
  @IsIn(RIGHTS_REQUEST_STATUSES)
  status?: RightsRequestStatus;

  @ApiPropertyOptional({ enum: RIGHTS_REQUEST_KINDS })
  @IsOptional()
  @IsIn(RIGHTS_REQUEST_KINDS)
  kind?: RightsRequestKind;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'open and past its due date' })
  @IsOptional()
  @IsIn(['true', 'false'])
  overdue?: 'true' | 'false';
}

export class RightsExportParams {
  @ApiProperty({ description: 'the one-time capability token (opaque)' })
  @Matches(/^[A-Za-z0-9_-]{43}$/)
  token: string;
}

export class RightsExportQuery {
  @ApiPropertyOptional({ enum: ['json', 'fhir'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'fhir'])
  format?: 'json' | 'fhir';
}

export class PlaceLegalHoldDto {
  @ApiProperty({ example: 'mbr_01JD3Q4Z5X6C7V8B9N0M1K2J3H' })
  @Matches(MEMBER_ID)
  memberId: string;

  @ApiProperty({ description: 'the matter or ticket reference (never PHI)', maxLength: 200 })
  @Matches(ONE_LINE_200)
  @MaxLength(200)
  reason: string;
}

export class LegalHoldParams {
  @Matches(/^lgh_[0-9A-HJKMNP-TV-Z]{26}$/)
  id: string;
}

export class ListLegalHoldsQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(MEMBER_ID)
  memberId?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: not released' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}
