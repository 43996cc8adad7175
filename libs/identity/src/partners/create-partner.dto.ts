import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { DATA_CATEGORIES, PARTNER_TYPES, type DataCategory, type PartnerType } from '@app/common';

export const PURPOSES_OF_USE = [
  'treatment',
  'payment',
  'operations',
  'eligibility',
  'wellness',
  // Needs the member's authorization (§164.508(a)(3)): register such a partner with requiresConsent.
  'marketing',
  'sync',
] as const;

export class CreatePartnerDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ pattern: '^vnd_[0-9A-Z]{26}$' })
  @Matches(/^vnd_[0-9A-HJKMNP-TV-Z]{26}$/)
  vendorId: string;

  @ApiProperty({ enum: PARTNER_TYPES })
  @IsIn([...PARTNER_TYPES])
  type: PartnerType;

  @ApiProperty({ type: [String], maxItems: 1000 })
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @Matches(/^org_[0-9A-HJKMNP-TV-Z]{26}$/, { each: true })
  organizationIds: string[];

  @ApiProperty({ enum: DATA_CATEGORIES, isArray: true })
  @IsArray()
  @ArrayMaxSize(DATA_CATEGORIES.length)
  @ArrayUnique()
  @IsIn([...DATA_CATEGORIES], { each: true })
  categories: DataCategory[];

  @ApiProperty({ enum: PURPOSES_OF_USE })
  @IsIn([...PURPOSES_OF_USE])
  purpose: (typeof PURPOSES_OF_USE)[number];

  @ApiProperty()
  @IsBoolean()
  requiresConsent: boolean;
}
