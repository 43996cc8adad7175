import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { CaseStatus, Resolution } from './reconciliation-case.store';

export class ListCasesQuery {
  @ApiPropertyOptional({ enum: ['open', 'resolved'], default: 'open' })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: CaseStatus;

  @ApiPropertyOptional({ description: 'opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
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
