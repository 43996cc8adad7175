import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '@app/common';
import type { CaseStatus, Resolution } from './reconciliation-case.store';

export class ListCasesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['open', 'resolved'], default: 'open' })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: CaseStatus;
}

export class CaseParams {
  @ApiProperty({ pattern: '^rcn_[0-9A-Z]{26}$' })
  @Matches(/^rcn_[0-9A-HJKMNP-TV-Z]{26}$/)
  caseId: string;
}

export class ResolveCaseDto {
  @ApiProperty({ enum: ['keep_ours', 'take_theirs', 'new_value'] })
  @IsIn(['keep_ours', 'take_theirs', 'new_value'])
  resolution: Resolution;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'new_value only: member groups holding exactly the case fields, e.g. {"identity":{"familyName":"…"}}',
  })
  @IsOptional()
  @IsObject()
  value?: Record<string, unknown>;
}

class CaseSummaryDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  memberId: string;

  @ApiProperty({ type: [String], description: 'JSON paths of the fields, never values' })
  fields: string[];

  @ApiProperty({ format: 'date-time' })
  openedAt: string;
}

export class CasePageDto {
  @ApiProperty({ type: [CaseSummaryDto] })
  data: CaseSummaryDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class ResolvedCaseDto {
  @ApiProperty()
  memberId: string;

  @ApiProperty()
  version: number;
}
