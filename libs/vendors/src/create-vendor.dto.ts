import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsDateString,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATA_CATEGORIES, type DataCategory } from '@app/common';
import {
  BAA_STATUSES,
  SUBPROCESSOR_SERVICES,
  VENDOR_ROLES,
  type BaaStatus,
  type SubprocessorService,
  type VendorRole,
} from './vendor.entity';

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

/** Whom to notify of a breach: a business contact at the vendor, never a member's data. */
export class BreachContactDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  // One printable line: it is shown in the inventory and exported as CSV.
  @Matches(/^[^\p{Cc}]{1,200}$/u)
  @MaxLength(200)
  name: string;

  @ApiProperty({ format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ maxLength: 40, example: '+1 415 555 0100' })
  @IsOptional()
  @Matches(/^\+?[0-9 ().-]{3,40}$/)
  @MaxLength(40)
  phone?: string;
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

  @ApiPropertyOptional({
    enum: SUBPROCESSOR_SERVICES,
    description: 'required for a subprocessor (what it does for us); refused for a partner',
  })
  @ValidateIf((dto: CreateVendorDto) => dto.role === 'subprocessor' || dto.service !== undefined)
  @IsIn([...SUBPROCESSOR_SERVICES])
  service?: SubprocessorService;

  @ApiPropertyOptional({ type: BreachContactDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BreachContactDto)
  breachContact?: BreachContactDto;

  @ApiProperty({ type: BaaDto })
  // Required: without it, ValidateNested lets a missing object through to the service.
  @IsObject()
  @ValidateNested()
  @Type(() => BaaDto)
  baa: BaaDto;
}
