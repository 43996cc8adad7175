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
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATA_CATEGORIES, type DataCategory } from '@app/common';
import { BAA_STATUSES, VENDOR_ROLES, type BaaStatus, type VendorRole } from './vendor.entity';

export class BaaDto {
  @ApiProperty({ enum: BAA_STATUSES })
  @IsIn([...BAA_STATUSES])
  status: BaaStatus;

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

  @ApiProperty({ enum: DATA_CATEGORIES, isArray: true })
  @IsArray()
  @ArrayMaxSize(DATA_CATEGORIES.length)
  @ArrayUnique()
  @IsIn([...DATA_CATEGORIES], { each: true })
  permittedCategories: DataCategory[];
}

export class CreateVendorDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ enum: VENDOR_ROLES })
  @IsIn([...VENDOR_ROLES])
  role: VendorRole;

  @ApiProperty({ type: BaaDto })
  @ValidateNested()
  @Type(() => BaaDto)
  baa: BaaDto;
}
