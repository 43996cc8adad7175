import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { DATA_CATEGORIES, PageQuery, type DataCategory } from '@app/common';
import { BaaDto } from './create-vendor.dto';
import { BAA_STATUSES, VENDOR_ROLES, type BaaStatus, type VendorRole } from './vendor.entity';

export const VENDOR_ID = /^vnd_[0-9A-HJKMNP-TV-Z]{26}$/;

export class VendorParams {
  @ApiProperty({ pattern: '^vnd_[0-9A-Z]{26}$' })
  @Matches(VENDOR_ID)
  vendorId: string;
}

export class ListVendorsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: VENDOR_ROLES })
  @IsOptional()
  @IsIn([...VENDOR_ROLES])
  role?: VendorRole;
}

export class InventoryQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

const REASON = /^[^\p{Cc}]{1,200}$/u;

/**
 * PUT .../baa: the new terms, as the same object as at registration, and why they change. The
 * terms may be sent flat beside `reason` (`{status, ..., reason}`) or nested (`{baa: {...}, reason}`),
 * not both.
 */
export class UpdateBaaDto {
  @ApiPropertyOptional({ enum: BAA_STATUSES, description: 'required unless the terms are nested in `baa`' })
  @ValidateIf((dto: UpdateBaaDto) => dto.baa === undefined)
  @IsIn([...BAA_STATUSES])
  status?: BaaStatus;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsDateString({ strict: true })
  signedAt?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsDateString({ strict: true })
  effectiveFrom?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({ pattern: '^[0-9a-f]{64}$' })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/)
  documentSha256?: string;

  @ApiPropertyOptional({
    enum: DATA_CATEGORIES,
    isArray: true,
    description: 'required unless nested in `baa`',
  })
  @ValidateIf((dto: UpdateBaaDto) => dto.baa === undefined)
  @IsArray()
  @ArrayMaxSize(DATA_CATEGORIES.length)
  @ArrayUnique()
  @IsIn([...DATA_CATEGORIES], { each: true })
  permittedCategories?: DataCategory[];

  @ApiPropertyOptional({ type: BaaDto, description: 'the terms nested, instead of flat' })
  @IsOptional()
  @ValidateNested()
  @Type(() => BaaDto)
  baa?: BaaDto;

  @ApiProperty({
    description: 'why (a ticket or contract reference; never PHI): kept in the BAA history and audited',
    maxLength: 200,
  })
  @IsString()
  // Printable text on one line: it is stored and shown in the audit trail.
  @Matches(REASON)
  @MaxLength(200)
  reason: string;
}
